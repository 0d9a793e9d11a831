/**
 * Errors the emulator answers, with the codes, subcodes and messages of reference §9. Route handlers
 * throw these; server.ts turns them into the Graph error body (or the api.instagram.com shape).
 */

export interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient: boolean;
  error_user_title?: string;
  error_user_msg?: string;
}

const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80002, -1, -2]);

/** HTTP status per code (reference §9.1: default 400, 403 for permission errors, 500 for 1/2). */
export function httpStatusFor(code: number): number {
  if (code === 1 || code === 2) return 500;
  if (code === 10 || (code >= 200 && code <= 299)) return 403;
  return 400;
}

export class EmulatedGraphError extends Error {
  readonly code: number;
  readonly subcode?: number;
  readonly type: string;
  readonly httpStatus: number;
  readonly isTransient: boolean;
  readonly userTitle?: string;
  readonly userMessage?: string;
  /** Extra response headers (e.g. WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(init: {
    code: number;
    subcode?: number;
    message: string;
    type?: string;
    httpStatus?: number;
    isTransient?: boolean;
    userTitle?: string;
    userMessage?: string;
    headers?: Record<string, string>;
  }) {
    super(init.message);
    this.name = 'EmulatedGraphError';
    this.code = init.code;
    this.subcode = init.subcode;
    this.type = init.type ?? 'OAuthException';
    this.httpStatus = init.httpStatus ?? httpStatusFor(init.code);
    this.isTransient = init.isTransient ?? TRANSIENT_CODES.has(init.code);
    this.userTitle = init.userTitle;
    this.userMessage = init.userMessage;
    this.headers = init.headers ?? {};
  }

  toBody(fbtraceId: string): { error: GraphErrorBody & { fbtrace_id: string } } {
    const error: GraphErrorBody & { fbtrace_id: string } = {
      message: this.message,
      type: this.type,
      code: this.code,
      is_transient: this.isTransient,
      fbtrace_id: fbtraceId,
    };
    if (this.subcode !== undefined) error.error_subcode = this.subcode;
    if (this.userTitle !== undefined) error.error_user_title = this.userTitle;
    if (this.userMessage !== undefined) error.error_user_msg = this.userMessage;
    // Keep the documented key order: message, type, code, error_subcode, is_transient, …, fbtrace_id.
    const ordered: Record<string, unknown> = {};
    for (const key of ['message', 'type', 'code', 'error_subcode', 'is_transient', 'error_user_title', 'error_user_msg', 'fbtrace_id']) {
      if (key in error) ordered[key] = (error as unknown as Record<string, unknown>)[key];
    }
    return { error: ordered as unknown as GraphErrorBody & { fbtrace_id: string } };
  }
}

/** The api.instagram.com error shape: `{"error_type":"OAuthException","code":400,"error_message":"…"}`. */
export class InstagramApiError extends Error {
  readonly httpStatus: number;
  readonly errorType: string;
  constructor(message: string, httpStatus = 400, errorType = 'OAuthException') {
    super(message);
    this.name = 'InstagramApiError';
    this.httpStatus = httpStatus;
    this.errorType = errorType;
  }
  toBody(): { error_type: string; code: number; error_message: string } {
    return { error_type: this.errorType, code: this.httpStatus, error_message: this.message };
  }
}

/** A publishing error of reference §9.4 (all HTTP 400): the documented text goes in message and error_user_msg. */
function publishing(code: number, subcode: number, message: string, title: string, isTransient = false): EmulatedGraphError {
  return new EmulatedGraphError({ code, subcode, message, userTitle: title, userMessage: message, isTransient, httpStatus: 400 });
}

export const errors = {
  tokenRequired: () =>
    new EmulatedGraphError({ code: 104, message: 'An access token is required to request this resource.' }),
  cannotParseToken: (wwwAuthenticate: boolean) =>
    new EmulatedGraphError({
      code: 190,
      message: 'Invalid OAuth access token - Cannot parse access token',
      headers: wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticateValue('Invalid OAuth access token - Cannot parse access token') } : {},
    }),
  tokenExpired: (expiredAt: number, now: number, wwwAuthenticate: boolean) => {
    const message = `Error validating access token: Session has expired on ${metaDate(expiredAt)}. The current time is ${metaDate(now)}.`;
    return new EmulatedGraphError({
      code: 190,
      subcode: 463,
      message,
      headers: wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticateValue(message) } : {},
    });
  },
  permission: (code: 10 | 200, permission: string) =>
    new EmulatedGraphError({
      code,
      message:
        code === 10
          ? '(#10) Application does not have permission for this action'
          : `(#200) Requires ${permission} permission to manage the object`,
    }),
  unsupportedRequest: (method: string, id: string) =>
    new EmulatedGraphError({
      code: 100,
      subcode: 33,
      type: 'GraphMethodException',
      message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    }),
  unknownPath: (rest: string) => new EmulatedGraphError({ code: 2500, message: `Unknown path components: ${rest}` }),
  nonexistingField: (field: string, nodeType: string) =>
    new EmulatedGraphError({ code: 100, message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})` }),
  paramRequired: (name: string) => new EmulatedGraphError({ code: 100, message: `(#100) The parameter ${name} is required` }),
  invalidParam: (message: string) => new EmulatedGraphError({ code: 100, message: `(#100) ${message}` }),
  unknownMediaType: (mediaType: string) =>
    publishing(100, 2207023, `The media type ${mediaType} is unknown.`, 'Unknown media type'),
  carouselChildren: () =>
    publishing(
      100,
      2207028,
      "Your post won't work as a carousel. Carousels need at least 2 photos/videos and no more than 10 photos/videos.",
      'Carousel validation failed',
    ),
  tooManyTags: (max: number, what = 'tags') =>
    publishing(100, 2207040, `Cannot use more than ${max} ${what} per created media.`, 'Too many tags'),
  thumbOffset: (videoLengthMs: number | string) =>
    publishing(
      1,
      2207057,
      `Thumbnail offset must be greater than or equal to 0 and less than video duration, i.e. ${videoLengthMs}`,
      'Invalid thumbnail offset',
    ),
  quotaReached: () =>
    publishing(
      9,
      2207042,
      'You reached maximum number of posts that is allowed to be published by Content Publishing API.',
      'Maximum number of posts reached',
    ),
  mediaNotFound: (id: string) => publishing(24, 2207006, `The media with ${id} cannot be found`, 'Media not found'),
  builderNotFound: (id: string) =>
    publishing(
      24,
      2207008,
      `The media builder with creation id = ${id} does not exist or has been expired.`,
      'Media builder expired',
    ),
  mediaExpired: () =>
    publishing(-2, 2207020, 'The media you are trying to access has expired. Please try to upload again.', 'Media expired', true),
  fetchFailed: (uri: string) =>
    publishing(9004, 2207052, `The media could not be fetched from this uri: ${uri}`, 'Media download has failed'),
  notReady: () =>
    publishing(9007, 2207027, 'The media is not ready for publishing, please wait for a moment', 'Media ID is not available'),
  imageTooLarge: () =>
    publishing(36000, 2207004, 'The image is too large to download. It should be less than 8 MiB.', 'Image size too large'),
  imageFormat: (format: string) =>
    publishing(
      36001,
      2207005,
      `The image format ${format} is not supported. Supported formats are: JPEG.`,
      'Unsupported image format',
    ),
  aspectRatio: (ratio: string) =>
    publishing(
      36003,
      2207009,
      `The submitted image with aspect ratio ${ratio} cannot be published. Please submit an image with a valid aspect ratio.`,
      'Aspect ratio not supported',
    ),
  captionTooLong: (length: number) =>
    publishing(
      36004,
      2207010,
      `The submitted image's caption was ${length} characters long. The maximum number of characters permitted for a caption is 2200. Please submit media with a shorter caption.`,
      'Caption too long',
    ),
};

/** Message for a container ERROR `status` string. */
export function containerErrorStatus(subcode: number): string {
  return `Error: Media upload has failed with error code ${subcode}`;
}

/** Messages of the documented container failures (shown in `status`). */
export const CONTAINER_FAILURES = {
  fetch: (uri: string) => ({ code: 9004, subcode: 2207052, message: `The media could not be fetched from this uri: ${uri}` }),
  rangeUnsupported: () => ({ code: -1, subcode: 2207076, message: 'The media could not be fetched: the host does not support range requests.' }),
  videoFormat: () => ({ code: 352, subcode: 2207026, message: 'The video format is not supported. Please check spec for supported video format' }),
  videoTooLarge: () => ({ code: -1, subcode: 2207082, message: 'The video file is too large.' }),
  thumbOffset: (durationMs: number) => ({
    code: 1,
    subcode: 2207057,
    message: `Thumbnail offset must be greater than or equal to 0 and less than video duration, i.e. ${durationMs}`,
  }),
  imageFormat: (format: string) => ({ code: 36001, subcode: 2207005, message: `The image format ${format} is not supported. Supported formats are: JPEG.` }),
  imageTooLarge: () => ({ code: 36000, subcode: 2207004, message: 'The image is too large to download. It should be less than 8 MiB.' }),
  aspectRatio: (ratio: string) => ({
    code: 36003,
    subcode: 2207009,
    message: `The submitted image with aspect ratio ${ratio} cannot be published. Please submit an image with a valid aspect ratio.`,
  }),
};

/** Default message for an injected graph error with only a code. */
export function defaultMessageFor(code: number, subcode?: number): string {
  switch (code) {
    case 1:
      return 'An unknown error has occurred.';
    case 2:
      return 'An unexpected error has occurred. Please retry your request later.';
    case 4:
      return subcode === 2207051
        ? 'We restrict certain activity to protect our community. Tell us if you think we made a mistake.'
        : '(#4) Application request limit reached';
    case 10:
      return '(#10) Application does not have permission for this action';
    case 17:
      return '(#17) User request limit reached';
    case 32:
      return '(#32) Page request limit reached';
    case 190:
      return 'Invalid OAuth access token - Cannot parse access token';
    case 613:
      return '(#613) Calls to this api have exceeded the rate limit.';
    case 80002:
      return 'There have been too many calls to this Instagram account. Wait a bit and try again.';
    case -1:
      return subcode === 2207032 ? 'Create media fail, please try to re-create media' : 'Instagram server error. Try again.';
    case -2:
      return 'It takes too long to download the media.';
    case 9007:
      return 'The media is not ready for publishing, please wait for a moment';
    default:
      return 'An unknown error has occurred.';
  }
}

function wwwAuthenticateValue(message: string): string {
  return `OAuth "Facebook Platform" "invalid_token" "${message.replace(/"/g, "'")}"`;
}

/** Meta's date format in 190/463 messages: "Tuesday, 24-Nov-26 04:00:00 PST" (Pacific time). */
export function metaDate(epochMs: number): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Los_Angeles',
      weekday: 'long',
      day: '2-digit',
      month: 'short',
      year: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
      timeZoneName: 'short',
    }).formatToParts(new Date(epochMs));
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    const hour = get('hour') === '24' ? '00' : get('hour');
    return `${get('weekday')}, ${get('day')}-${get('month')}-${get('year')} ${hour}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
  } catch {
    return new Date(epochMs).toUTCString();
  }
}

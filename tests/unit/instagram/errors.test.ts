import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyGraphError, describeSubcode, GraphError, networkError, readPublishFailure } from '../../../src/instagram/errors.js';

const body = (code: number, subcode?: number, extra: Record<string, unknown> = {}) => ({
  error: { message: 'msg', type: 'OAuthException', code, ...(subcode !== undefined ? { error_subcode: subcode } : {}), fbtrace_id: 'T1', ...extra },
});

describe('classifyGraphError', () => {
  const table: Array<[string, unknown, number, string, { transient?: boolean; notApplied?: boolean }]> = [
    ['1 unknown', body(1), 500, 'transient', { transient: true, notApplied: false }],
    ['2 service', body(2), 500, 'transient', { transient: true, notApplied: false }],
    ['-1/2207001 server error', body(-1, 2207001), 400, 'transient', { transient: true }],
    ['-2/2207003 download slow', body(-2, 2207003), 400, 'transient', { transient: true }],
    ['-1/2207032 re-create', body(-1, 2207032), 400, 'transient', { transient: true }],
    ['is_transient flag', body(12345, undefined, { is_transient: true }), 400, 'transient', { transient: true }],
    ['HTTP 503 no body', undefined, 503, 'transient', { transient: true }],
    ['4 app limit', body(4), 400, 'rate_limited', { transient: true, notApplied: false }],
    ['17 user limit', body(17), 400, 'rate_limited', { transient: true, notApplied: false }],
    ['32 page limit', body(32), 400, 'rate_limited', { transient: true, notApplied: false }],
    ['341 app limit', body(341), 400, 'rate_limited', { transient: true }],
    ['613 custom', body(613), 400, 'rate_limited', { transient: true, notApplied: false }],
    ['80002 BUC', body(80002), 400, 'rate_limited', { transient: true, notApplied: false }],
    ['4/2207051 spam block', body(4, 2207051), 400, 'rate_limited', { transient: false, notApplied: false }],
    ['HTTP 429', 'Too Many Requests', 429, 'rate_limited', { transient: true, notApplied: false }],
    ['190 invalid token', body(190, 467), 400, 'reauth', { transient: false, notApplied: false }],
    ['190/463 expired', body(190, 463), 400, 'reauth', {}],
    ['102 session', body(102), 400, 'reauth', {}],
    ['9/2207042 quota', body(9, 2207042), 400, 'quota', { transient: false }],
    ['9007/2207027 not ready', body(9007, 2207027), 400, 'not_ready', { transient: false }],
    ['100/33 missing object', body(100, 33), 400, 'not_found', {}],
    ['24/2207006 media not found', body(24, 2207006), 400, 'not_found', {}],
    ['24/2207008 builder expired', body(24, 2207008), 400, 'not_found', {}],
    ['-2/2207020 media expired', body(-2, 2207020), 400, 'not_found', { transient: false }],
    ['10 permission', body(10), 403, 'permission', {}],
    ['200 permission', body(200), 403, 'permission', {}],
    ['299 permission', body(299), 400, 'permission', {}],
    ['25/2207050 restricted', body(25, 2207050), 400, 'permission', {}],
    ['100 invalid param', body(100), 400, 'invalid_input', { transient: false }],
    ['100/2207028 carousel count', body(100, 2207028), 400, 'invalid_input', {}],
    ['36000/2207004 too large', body(36000, 2207004), 400, 'invalid_input', {}],
    ['36001/2207005 format', body(36001, 2207005), 400, 'invalid_input', {}],
    ['36003/2207009 ratio', body(36003, 2207009), 400, 'invalid_input', {}],
    ['36004/2207010 caption', body(36004, 2207010), 400, 'invalid_input', {}],
    ['352/2207026 video format', body(352, 2207026), 400, 'invalid_input', {}],
    ['9004/2207052 fetch', body(9004, 2207052), 400, 'invalid_input', {}],
    ['1/2207057 thumb offset', body(1, 2207057), 400, 'invalid_input', { transient: false }],
    ['unrecognised', body(999999), 418, 'unknown', { transient: false }],
  ];

  for (const [name, input, status, kind, flags] of table) {
    it(`${name} → ${kind}`, () => {
      const err = classifyGraphError(input, status);
      expect(err).toBeInstanceOf(GraphError);
      expect(err.kind).toBe(kind);
      if (flags.transient !== undefined) expect(err.isTransient).toBe(flags.transient);
      if (flags.notApplied !== undefined) expect(err.notApplied).toBe(flags.notApplied);
      expect(err.hint.length).toBeGreaterThan(10);
      expect(err.httpStatus).toBe(status);
    });
  }

  it('keeps every field of the error body', () => {
    const err = classifyGraphError(
      {
        error: {
          message: 'The image size is too large.',
          type: 'OAuthException',
          code: 36000,
          error_subcode: 2207004,
          is_transient: false,
          error_user_title: 'Image size too large',
          error_user_msg: 'The image is too large to download. It should be less than 8 MiB.',
          fbtrace_id: 'A6LJylpZRKw2xKLFsAP-cJh',
        },
      },
      400,
    );
    expect(err).toMatchObject({
      code: 36000,
      subcode: 2207004,
      type: 'OAuthException',
      userTitle: 'Image size too large',
      userMessage: 'The image is too large to download. It should be less than 8 MiB.',
      fbtraceId: 'A6LJylpZRKw2xKLFsAP-cJh',
      isTransient: false,
      notApplied: false,
    });
    expect(err.message).toContain('(#36000/2207004) The image size is too large.');
    expect(err.hint).toContain('8 MiB');
  });

  it('says the code once when Meta\'s message already starts with it', () => {
    const err = classifyGraphError(body(100, undefined, { message: '(#100) Param media_type is not supported' }), 400);
    expect(err.message).toBe('(#100) Param media_type is not supported');
    expect(classifyGraphError(body(100), 400).message).toBe('(#100) msg');
  });

  it('gives actionable hints', () => {
    expect(classifyGraphError(body(190, 463), 400).hint).toMatch(/instagram_authenticate/);
    expect(classifyGraphError(body(9007, 2207027), 400).hint).toMatch(/still processing/);
    expect(classifyGraphError(body(9, 2207042), 400).hint).toMatch(/quota/);
  });

  it('reads estimated_time_to_regain_access from error_data (minutes → ms)', () => {
    const err = classifyGraphError(body(80002, undefined, { error_data: { estimated_time_to_regain_access: 3 } }), 400);
    expect(err.retryAfterMs).toBe(180_000);
  });

  it('tolerates other shapes', () => {
    expect(classifyGraphError('<html>Bad gateway</html>', 502).kind).toBe('transient');
    expect(classifyGraphError(null, 404).kind).toBe('not_found');
    const legacy = classifyGraphError({ error_type: 'OAuthException', code: 400, error_message: 'Invalid authorization code' }, 400);
    expect(legacy.kind).toBe('invalid_input');
    expect(legacy.message).toContain('Invalid authorization code');
    const rupload = classifyGraphError(
      { debug_info: { retriable: false, type: 'ProcessingFailedError', message: 'unauthorized user request' } },
      400,
    );
    expect(rupload.type).toBe('ProcessingFailedError');
    expect(rupload.isTransient).toBe(false);
    expect(classifyGraphError({ debug_info: { retriable: true, type: 'X', message: 'm' } }, 400).kind).toBe('transient');
  });

  it('redacts tokens that Meta echoes in a message', () => {
    const token = `IGAA${randomBytes(16).toString('hex')}`;
    const err = classifyGraphError({ error: { message: `bad token ${token}`, code: 190 } }, 400);
    expect(err.message).not.toContain(token);
  });
});

describe('describeSubcode', () => {
  it('knows every publishing subcode of §9.4', () => {
    for (const sub of [
      2207001, 2207003, 2207004, 2207005, 2207006, 2207008, 2207009, 2207010, 2207020, 2207023, 2207026, 2207027, 2207028,
      2207032, 2207035, 2207036, 2207037, 2207040, 2207042, 2207050, 2207051, 2207052, 2207053, 2207057,
    ]) {
      expect(describeSubcode(sub), String(sub)).toBeTypeOf('string');
    }
    expect(describeSubcode(2207027)).toMatch(/not ready/);
    expect(describeSubcode(1)).toBeUndefined();
  });
});

describe('readPublishFailure: only what proves nothing went live is acted on as is', () => {
  it('proves it: 9007 not ready, 9/2207042 quota, a request that never left', () => {
    expect(readPublishFailure(classifyGraphError(body(9007, 2207027), 400))).toBe('not_ready');
    expect(readPublishFailure(classifyGraphError(body(9, 2207042), 400))).toBe('quota');
    expect(readPublishFailure(networkError('connection refused', { notApplied: true }))).toBe('not_applied');
  });

  it('does not prove it: code 4 without subcode, other throttling, 5xx, a timeout, a spam block', () => {
    for (const code of [4, 17, 32, 613, 80002]) expect(readPublishFailure(classifyGraphError(body(code), 400))).toBe('unknown');
    expect(readPublishFailure(classifyGraphError('Too Many Requests', 429))).toBe('unknown');
    expect(readPublishFailure(classifyGraphError(body(2), 500))).toBe('unknown');
    expect(readPublishFailure(networkError('timed out', { notApplied: false, timeout: true }))).toBe('unknown');
    expect(readPublishFailure(classifyGraphError(body(4, 2207051), 400))).toBe('refused');
  });
});

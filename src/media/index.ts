/** Media layer: probing, Instagram's rules, mechanical fixes, the local-file allowlist and hosting. */
export { probeFile, probeBuffer, MIME_TYPES } from './probe.js';
export type { MediaFormat, MediaInfo, ProbeFileOptions } from './probe.js';
export {
  LIMITS,
  checkCaption,
  checkMedia,
  checkCarouselSize,
  checkAltText,
  countHashtags,
  countMentions,
  captionLength,
  describeRatio,
  isImageTarget,
  hasFeedRatioRule,
  isFeedRatioAllowed,
} from './rules.js';
export type { TargetKind, MediaIssue } from './rules.js';
export { fixImage, MediaFixError } from './fix.js';
export type { RatioFix, FixResult, FixImageOptions, MediaFixErrorCode } from './fix.js';
export { resolveLocalMedia, discoverNewest, looksLikeLocalPath, MediaPathError } from './localFiles.js';
export type { MediaPathErrorCode, ResolvedMedia, DiscoverOptions, DiscoveredMedia } from './localFiles.js';
export { MediaHost, MediaHostNotConfiguredError } from './host.js';
export type { HostedMedia, MediaHostOptions, PublishOptions, MediaSource } from './host.js';

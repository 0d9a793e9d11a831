/** Media layer: probing, Instagram's rules, mechanical fixes, the local-file allowlist and hosting. */
export { probeOpenFile, probeBuffer } from './probe.js';
export type { MediaInfo } from './probe.js';
export { LIMITS, checkCaption, checkMedia, checkCarouselSize, checkAltText, isImageTarget } from './rules.js';
export type { TargetKind, MediaIssue } from './rules.js';
export { fixImage, MediaFixError } from './fix.js';
export type { RatioFix } from './fix.js';
export { openChecked, openLocalMedia, discoverNewest, fileIdentity, FileChangedError, MediaPathError } from './localFiles.js';
export type { CheckedFile } from './localFiles.js';
export { MediaHost, MediaHostNotConfiguredError } from './host.js';

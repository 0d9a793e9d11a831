/** Bounds the publishing tools validate against; kept apart from the services so tool schemas load fast. */

/** Largest inline (base64) media, decoded. */
export const MAX_INLINE_BYTES = 8 * 1024 * 1024;
/** Base64 characters needed for MAX_INLINE_BYTES (plus padding). */
export const MAX_INLINE_BASE64_CHARS = Math.ceil(MAX_INLINE_BYTES / 3) * 4 + 4;
/** Bounds of the per-call wait (tool argument wait_seconds). */
export const MAX_WAIT_MS = 15 * 60_000;

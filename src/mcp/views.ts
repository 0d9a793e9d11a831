/**
 * Wire shapes that a tool and an HTTP route both answer with, so they are written once: registered
 * media is instagram_upload_media's result and the answer of `POST /uploads`.
 */
import { z } from 'zod';
import type { RegisteredMedia } from '../services/mediaLibrary.js';

/** Declared once here; instagram_upload_media's output extends it with its checks and next step. */
export const registeredMediaWire = z.object({
  reference_id: z.string(),
  mime_type: z.string(),
  size_bytes: z.number().nullable(),
  expires_at: z.string(),
  kind: z.enum(['image', 'video', 'unknown']),
  source: z.enum(['local', 'url', 'upload']),
  width: z.number().optional(),
  height: z.number().optional(),
  duration_seconds: z.number().optional(),
});
export type RegisteredMediaWire = z.infer<typeof registeredMediaWire>;

export function registeredMediaView(m: RegisteredMedia): RegisteredMediaWire {
  return {
    reference_id: m.referenceId,
    mime_type: m.mimeType ?? 'unknown (a URL: Instagram reads it when publishing)',
    size_bytes: m.sizeBytes,
    expires_at: new Date(m.expiresAt).toISOString(),
    kind: m.kind,
    source: m.source,
    ...(m.width ? { width: m.width } : {}),
    ...(m.height ? { height: m.height } : {}),
    ...(m.durationMs ? { duration_seconds: Math.round(m.durationMs / 100) / 10 } : {}),
  };
}

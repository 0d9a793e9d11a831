/**
 * Wire shapes that a tool and an HTTP route both answer with, so they are written once: registered
 * media is instagram_upload_media's result and the answer of `POST /uploads`.
 */
import type { RegisteredMedia } from '../services/mediaLibrary.js';

export interface RegisteredMediaWire {
  reference_id: string;
  mime_type: string;
  size_bytes: number | null;
  expires_at: string;
  kind: RegisteredMedia['kind'];
  source: RegisteredMedia['source'];
  width?: number;
  height?: number;
  duration_seconds?: number;
}

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

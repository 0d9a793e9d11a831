/**
 * What one owner may hold through `POST /uploads`: at most so many bytes and so many files (uploads
 * not yet used by a post and not expired, plus the uploads still streaming in). A body is refused
 * before it is read when its Content-Length does not fit, and cut as soon as a streamed body passes
 * what is left; the media library then keeps nothing of it.
 */
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';

export interface UploadLimits {
  bytes: number;
  files: number;
}

/** What the owner holds now in stored uploads (from the media repository). */
export type HeldUploads = (owner: string) => Promise<{ files: number; bytes: number }>;

/** Bytes reserved at a time while a body of unknown length streams in (fewer store reads). */
const RESERVE_STEP = 1024 * 1024;

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

function quotaError(status: number, code: string, message: string, hint: string, details: Record<string, unknown>): AppError {
  return Object.assign(new AppError(code, message, hint, details), { status });
}

export class UploadQuota {
  /** Uploads under way per owner: files, and bytes reserved for them. */
  private readonly inflight = new Map<string, { files: number; bytes: number }>();

  constructor(
    private readonly limits: UploadLimits,
    private readonly held: HeldUploads,
  ) {}

  /**
   * Admits one upload of `owner` (or throws a 413/429 AppError saying which limit and what to do) and
   * returns its body, cut with the same error once it passes what is left. Call `release` when the
   * upload is stored or failed.
   */
  async admit(owner: string, req: IncomingMessage): Promise<{ body: Readable; release(): void }> {
    const mine = this.inflight.get(owner) ?? { files: 0, bytes: 0 };
    this.inflight.set(owner, mine);
    const declared = Number(req.headers['content-length']);
    const reserved = { bytes: Number.isFinite(declared) && declared > 0 ? declared : 0 };
    // Counted in before the store is asked, so two uploads admitted at once both see each other.
    mine.files++;
    mine.bytes += reserved.bytes;
    const unreserve = () => {
      mine.files--;
      mine.bytes -= reserved.bytes;
      if (mine.files === 0) this.inflight.delete(owner);
    };
    const left = async () => this.limits.bytes - (await this.held(owner)).bytes - mine.bytes;
    const tooLarge = (what: string, room: number) =>
      quotaError(
        413,
        'upload_quota_bytes',
        `${what} does not fit in the upload quota: this identity may hold ${mib(this.limits.bytes)} of uploaded files and has ${mib(Math.max(0, room))} left.`,
        'Publish or use the media already uploaded (a file used in a post no longer counts), or wait for their reference ids to expire (24 hours after upload), then send it again; an operator can raise INSTAGRAM_MCP_UPLOAD_QUOTA_MB.',
        { limit: 'bytes', max_bytes: this.limits.bytes },
      );
    try {
      const held = await this.held(owner);
      if (held.files + mine.files > this.limits.files) {
        throw quotaError(
          429,
          'upload_quota_files',
          `This identity already holds ${held.files + mine.files - 1} uploaded files, the most allowed (${this.limits.files} files).`,
          'Publish or use the media already uploaded (a file used in a post no longer counts), or wait for their reference ids to expire (24 hours after upload); an operator can raise INSTAGRAM_MCP_UPLOAD_QUOTA_FILES.',
          { limit: 'files', max_files: this.limits.files, held_files: held.files + mine.files - 1 },
        );
      }
      const room = this.limits.bytes - held.bytes - (mine.bytes - reserved.bytes);
      if (reserved.bytes > room) throw tooLarge(`The upload (${mib(reserved.bytes)})`, room);
    } catch (err) {
      unreserve();
      throw err;
    }

    let received = 0;
    const cut = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        received += chunk.length;
        if (received <= reserved.bytes) return cb(null, chunk);
        const need = received - reserved.bytes;
        left().then((room) => {
          if (need > room) return cb(tooLarge('The upload', room));
          const step = Math.min(Math.max(need, RESERVE_STEP), room);
          reserved.bytes += step;
          mine.bytes += step;
          cb(null, chunk);
        }, cb);
      },
    });
    // pipe(), not pipeline(): a cut must leave the request open, so the refusal can still be answered.
    req.pipe(cut);
    const aborted = () => {
      if (!req.complete) cut.destroy(new Error('the client closed the connection before the end of the body'));
    };
    req.once('close', aborted);
    req.once('error', aborted);
    let released = false;
    return {
      body: cut,
      release: () => {
        if (released) return;
        released = true;
        req.unpipe(cut);
        req.off('close', aborted);
        req.off('error', aborted);
        unreserve();
      },
    };
  }
}

/**
 * What the CLI hands a transport: the logger, and the process's way out. A transport registers what it
 * opened (the App, its listeners) and may stop the process itself (stdin closed); signals stop it too.
 */
import type { Logger } from '../log.js';

export interface Lifecycle {
  logger: Logger;
  /** Registers something to close when the process stops; the last registered closes first. */
  onShutdown(close: () => Promise<void>): void;
  /**
   * Closes everything registered (once, errors ignored), then exits with code. A close step that
   * hangs does not keep the process: past the deadline it exits anyway, and a second call (a second
   * SIGTERM or Ctrl-C) exits at once. Nothing is lost by that: every store write is a transaction, and
   * an interrupted post is resumed from its stored state by the next start.
   */
  shutdown(code: number): Promise<void>;
}

/** How long closing may take before the process exits regardless. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export function createLifecycle(logger: Logger, exit: (code: number) => void, deadlineMs = SHUTDOWN_DEADLINE_MS): Lifecycle {
  const closers: Array<() => Promise<void>> = [];
  let shuttingDown = false;
  let exited = false;
  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  return {
    logger,
    onShutdown(close) {
      closers.push(close);
    },
    async shutdown(code) {
      if (shuttingDown) {
        logger.warn('asked again to stop: exiting now');
        return exitOnce(code);
      }
      shuttingDown = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), deadlineMs);
        timer.unref();
      });
      const closing = (async () => {
        for (const close of closers.reverse()) await close().catch(() => {});
        return 'closed' as const;
      })();
      const outcome = await Promise.race([closing, deadline]);
      clearTimeout(timer);
      if (outcome === 'late') logger.warn(`closing took longer than ${deadlineMs / 1000} s: exiting without waiting for the rest`);
      exitOnce(code);
    },
  };
}

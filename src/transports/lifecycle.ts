/**
 * What the CLI hands a transport: the logger, and the process's way out. A transport registers what it
 * opened (the App, its listeners) and may stop the process itself (stdin closed); signals stop it too.
 */
import type { Logger } from '../log.js';

export interface Lifecycle {
  logger: Logger;
  /** Registers something to close when the process stops; the last registered closes first. */
  onShutdown(close: () => Promise<void>): void;
  /** Closes everything registered (once, errors ignored), then exits with code. */
  shutdown(code: number): Promise<void>;
}

export function createLifecycle(logger: Logger, exit: (code: number) => void): Lifecycle {
  const closers: Array<() => Promise<void>> = [];
  let shuttingDown = false;
  return {
    logger,
    onShutdown(close) {
      closers.push(close);
    },
    async shutdown(code) {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const close of closers.reverse()) await close().catch(() => {});
      exit(code);
    },
  };
}

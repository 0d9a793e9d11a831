/** Stopping the process: every close step runs, last registered first; a hanging one does not keep the process. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { createLifecycle } from '../../../src/transports/lifecycle.js';

const quiet = () => createLogger({ level: 'error', write: () => {} });

describe('lifecycle.shutdown', () => {
  it('closes in reverse order, ignores a failing step, then exits once with the code', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const life = createLifecycle(quiet(), (code) => exits.push(code));
    life.onShutdown(async () => void order.push('app'));
    life.onShutdown(async () => {
      order.push('listener');
      throw new Error('already closed');
    });
    await life.shutdown(0);
    expect(order).toEqual(['listener', 'app']);
    expect(exits).toEqual([0]);
  });

  it('exits past the deadline when a close step never finishes, and at once when asked again', async () => {
    const exits: number[] = [];
    const hung = createLifecycle(quiet(), (code) => exits.push(code), 1);
    hung.onShutdown(() => new Promise<void>(() => {}));
    await hung.shutdown(0);
    expect(exits).toEqual([0]);

    const again: number[] = [];
    const life = createLifecycle(quiet(), (code) => again.push(code), 60_000);
    life.onShutdown(() => new Promise<void>(() => {}));
    const first = life.shutdown(0);
    await life.shutdown(130);
    expect(again).toEqual([130]);
    void first;
  });
});

/** Small helpers for the reading integration tests. */
import { VirtualClock } from '../../../src/clock.js';
import type { Harness } from '../../helpers/harness.js';

/** Moves the harness's virtual clock (shared by the server and the emulator) forward. */
export function advance(h: Harness, ms: number): void {
  if (!(h.clock instanceof VirtualClock)) throw new Error('these tests need the virtual clock');
  h.clock.advance(ms);
}

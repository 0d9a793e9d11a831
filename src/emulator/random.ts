/**
 * Deterministic randomness (fault rates, seeded data, ids) and crypto randomness (tokens, secrets).
 */
import { randomBytes } from 'node:crypto';

/** mulberry32: small, fast, deterministic PRNG returning floats in [0, 1). */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Where the sequence is, so that a saved emulator carries on where it stopped (sandbox mode). */
  position(): number {
    return this.state;
  }
  resume(position: number): void {
    this.state = position >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }
  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Cryptographically random string over an alphabet. */
export function randomString(length: number, alphabet = ALNUM): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export function randomDigits(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += String(bytes[i]! % 10);
  return out.replace(/^0/, '1');
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Instagram User token (`IGAA…`). */
export function newInstagramToken(): string {
  return 'IGAA' + randomString(180, ALNUM);
}

/** Facebook User / Page token (`EAA…`). */
export function newFacebookToken(): string {
  return 'EAA' + randomString(4, ALNUM) + 'ZD' + randomString(170, ALNUM);
}

/** OAuth authorization code (`AQ…`). */
export function newAuthCode(): string {
  return 'AQ' + randomString(150, URL_SAFE);
}

/** Value shaped like Meta's fbtrace_id / x-fb-trace-id. */
export function newTraceId(): string {
  return randomString(11, URL_SAFE);
}

export function shortcodeFrom(prng: Prng): string {
  let out = prng.pick(['C', 'D']);
  for (let i = 0; i < 10; i++) out += URL_SAFE[Math.floor(prng.next() * URL_SAFE.length)];
  return out;
}

/** Shared helpers of the publishing suites: media builders, request-log queries, a harness with an account. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { LoggedRequest } from '../../src/emulator/index.js';
import { startHarness, type Harness, type HarnessOptions } from '../helpers/harness.js';

export async function jpeg(width: number, height: number, color = '#3080c0'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).jpeg({ quality: 85 }).toBuffer();
}

export async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#c03030' } }).png().toBuffer();
}

export function writeMedia(h: Harness, name: string, bytes: Buffer): string {
  const file = path.join(h.mediaDir, name);
  writeFileSync(file, bytes);
  return file;
}

/** A harness with the business account connected and the request log cleared. */
export async function publishingHarness(options: HarnessOptions = {}): Promise<Harness & { igUserId: string }> {
  const h = await startHarness(options);
  await h.connectAccount('business');
  h.emulator.clearLog();
  return Object.assign(h, { igUserId: h.emulator.users.instagramBusiness.id });
}

export function requests(h: Harness, method: string, pattern: RegExp): LoggedRequest[] {
  return h.emulator.requestLog().filter((r) => r.method === method && pattern.test(r.path));
}

export const PUBLISH = /^\/\d+\/media_publish$/;
export const CREATE = /^\/\d+\/media$/;

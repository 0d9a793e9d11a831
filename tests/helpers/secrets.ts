/**
 * Token-shaped test values, generated at run time (no token, real or example, is ever committed).
 * The same name gives the same value everywhere within one test process, so fixtures and assertions
 * in different modules agree.
 */
import { createHash, randomBytes } from 'node:crypto';

const salt = randomBytes(16).toString('hex');

export function testToken(prefix: 'IGAA' | 'IGQV' | 'EAA', name: string, length = 24): string {
  const digest = createHash('sha256').update(`${salt}:${prefix}:${name}`).digest('hex');
  return prefix + (digest + digest).slice(0, Math.max(1, length - prefix.length));
}

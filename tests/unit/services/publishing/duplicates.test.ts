/**
 * The retry guard's fingerprint reads a local file through the descriptor that was checked (issue #12,
 * item 6): a file swapped for a symlink to a secret after the check is not read by path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openChecked } from '../../../../src/media/index.js';
import { contentFingerprint } from '../../../../src/services/publishing/duplicates.js';
import type { PostPlan } from '../../../../src/services/publishing/plan.js';
import type { StoredMedia } from '../../../../src/store/index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igmcp-fingerprint-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function planOf(file: string): PostPlan {
  const item: StoredMedia = { kind: 'image', delivery: 'file', path: file, label: 'photo.jpg' };
  return { inputs: [item], caption: 'hello', settings: {} } as unknown as PostPlan;
}

describe('contentFingerprint', () => {
  it('hashes the bytes of the file as checked, not what the path points at later', async () => {
    const photo = path.join(dir, 'photo.jpg');
    const secret = path.join(dir, 'secret.key');
    fs.writeFileSync(photo, 'the photo bytes');
    fs.writeFileSync(secret, 'the secret bytes');
    const opened: string[] = [];
    const fingerprint = await contentFingerprint('acct', planOf(photo), async (media) => {
      const checked = await openChecked(media.path!, null, [dir]);
      opened.push(media.path!);
      // Swapped after the check: a read by path would now follow the link to the secret.
      fs.rmSync(photo);
      fs.symlinkSync(secret, photo);
      return checked;
    });
    expect(opened).toEqual([photo]);

    const expected = createHash('sha256')
      .update(JSON.stringify({ accountId: 'acct', surface: null, caption: 'hello', items: [`file:${createHash('sha256').update('the photo bytes').digest('hex')}`], cover: null }))
      .digest('hex');
    expect(fingerprint).toBe(expected);
  });

  it('refuses a file replaced before it is opened, instead of hashing whatever is there', async () => {
    const photo = path.join(dir, 'photo.jpg');
    const secret = path.join(dir, 'secret.key');
    fs.writeFileSync(secret, 'the secret bytes');
    fs.symlinkSync(secret, photo);
    await expect(contentFingerprint('acct', planOf(photo), (media) => openChecked(media.path!, null, [dir]))).rejects.toThrow();
  });
});

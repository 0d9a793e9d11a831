import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderBlocks } from '../../scripts/readmeTables.js';

describe('README', () => {
  it('holds the tool and settings tables generated from the code (run npm run docs after changing them)', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain('<!-- tools:start -->');
    expect(renderBlocks(readme)).toBe(readme);
  });
});

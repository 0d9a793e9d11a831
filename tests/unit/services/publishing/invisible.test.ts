/** Invisible characters in a caption: bidi controls and zero-width characters are named, emoji sequences are not. */
import { describe, expect, it } from 'vitest';
import { invisibleCharacters } from '../../../../src/services/publishing/plan.js';

describe('invisibleCharacters', () => {
  it('names each bidi control and zero-width character once', () => {
    expect(invisibleCharacters('a\u202Eb\u202Ec\u200B')).toEqual(['U+202E (right-to-left override)', 'U+200B (zero-width space)']);
    const all = '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\u200B\u200C\u200D\u2060\uFEFF';
    expect(invisibleCharacters(`x${all}y`)).toHaveLength(17);
  });

  it('leaves emoji joined by zero-width joiners and plain text alone', () => {
    expect(invisibleCharacters('👨‍👩‍👧 ❤️‍🔥 👩🏽‍💻 🏳️‍🌈')).toEqual([]);
    expect(invisibleCharacters('Fresh bread today! #sourdough')).toEqual([]);
    expect(invisibleCharacters(undefined)).toEqual([]);
    expect(invisibleCharacters('a\u200Db')).toEqual(['U+200D (zero-width joiner)']);
  });
});

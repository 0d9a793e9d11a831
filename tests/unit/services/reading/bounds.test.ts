/** Bounds of what reaches a client from Instagram: https-only links, text cut at Instagram's own limits, pages cut to the limit. */
import { describe, expect, it } from 'vitest';
import { Bounds, cutText, httpsLink } from '../../../../src/services/reading/bounds.js';
import { slicePage } from '../../../../src/services/reading/cursor.js';

describe('httpsLink', () => {
  it('passes https: links as given and nothing else', () => {
    expect(httpsLink('https://www.instagram.com/p/ABC/')).toBe('https://www.instagram.com/p/ABC/');
    expect(httpsLink('HTTPS://cdn.example.com/a.jpg?sig=1')).toBe('HTTPS://cdn.example.com/a.jpg?sig=1');
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'http://example.com/', 'vbscript:x', '//evil.example/', 'https://a b/', '', 'https://x/\n', `https://x/${'a'.repeat(5000)}`]) {
      expect(httpsLink(bad), bad).toBeNull();
    }
    expect(httpsLink(null)).toBeNull();
    expect(httpsLink(undefined)).toBeNull();
  });
});

describe('cutText', () => {
  it('keeps text within the limit in code points (emoji count as one) and cuts longer text to the limit, ending in …', () => {
    expect(cutText('🥐'.repeat(5), 5)).toBe('🥐'.repeat(5));
    expect(cutText('abcdef', 5)).toBe('abcd…');
    expect(cutText('🥐'.repeat(6), 5)).toBe(`${'🥐'.repeat(4)}…`);
    const cut = cutText(`a${'🥐'.repeat(10)}`, 3);
    expect(cut).toBe('a🥐…');
    // No half of an emoji left behind (a lone surrogate).
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(cut)).toBe(false);
  });
});

describe('Bounds', () => {
  it('counts what it cut or left out and says it once per kind', () => {
    const b = new Bounds();
    expect(b.text('x'.repeat(3000), 'caption')).toHaveLength(2200);
    b.text('y'.repeat(3000), 'caption');
    expect(b.text('short', 'caption')).toBe('short');
    expect(b.text(undefined, 'caption')).toBeNull();
    expect(b.link('javascript:x', 'permalink')).toBeNull();
    expect(b.link(undefined, 'permalink')).toBeNull();
    expect(b.items([1, 2, 3], 2, 'carousel children')).toEqual([1, 2]);
    expect(b.notes()).toEqual([
      '2 captions were longer than Instagram allows (2200 characters) and were cut (ending in …).',
      '1 link from Instagram that is not https: (permalink) was left out (null).',
      'Instagram sent more carousel children than it allows (3); only the first 2 are shown.',
    ]);
    expect(new Bounds().notes()).toEqual([]);
  });
});

describe('slicePage', () => {
  const items = Array.from({ length: 12 }, (_, i) => i);
  it('gives at most the limit and resumes inside the same Graph page, then with Graph\'s cursor', () => {
    const first = slicePage(items, 5, { after: undefined, offset: 0 }, 'G2');
    expect(first).toEqual({ items: [0, 1, 2, 3, 4], next: { c: '', o: 5 } });
    const second = slicePage(items, 5, { after: undefined, offset: 5 }, 'G2');
    expect(second).toEqual({ items: [5, 6, 7, 8, 9], next: { c: '', o: 10 } });
    const third = slicePage(items, 5, { after: undefined, offset: 10 }, 'G2');
    expect(third).toEqual({ items: [10, 11], next: { c: 'G2' } });
    expect(slicePage(items, 20, { after: 'G1', offset: 0 }, null)).toEqual({ items, next: null });
    expect(slicePage(items, 5, { after: 'G1', offset: 0 }, null).next).toEqual({ c: 'G1', o: 5 });
  });
});

import { describe, expect, it } from 'vitest';
import { probeImage, probeVideo } from '../../../src/emulator/mediaProbe.js';
import { parseFields } from '../../../src/emulator/fields.js';
import { countHashtags, countMentions, parseList, parseRelaxedJson } from '../../../src/emulator/publishing.js';
import { makeJpeg, makeMp4, makePng } from './fixtures.js';

describe('media probing', () => {
  it('reads JPEG dimensions from the SOF marker', () => {
    expect(probeImage(makeJpeg(1080, 1350))).toEqual({ format: 'jpeg', width: 1080, height: 1350 });
    expect(probeImage(makeJpeg(320, 200, 0))).toEqual({ format: 'jpeg', width: 320, height: 200 });
  });

  it('recognises PNG, GIF, WebP and unknown bytes', () => {
    expect(probeImage(makePng(640, 480))).toEqual({ format: 'png', width: 640, height: 480 });
    expect(probeImage(Buffer.from('GIF89a\x10\x00\x20\x00', 'latin1')).format).toBe('gif');
    expect(probeImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')).format).toBe('webp');
    expect(probeImage(Buffer.from('hello world')).format).toBe('unknown');
  });

  it('reads the MP4 ftyp brand and mvhd duration', () => {
    expect(probeVideo(makeMp4(12.5))).toEqual({ container: 'mp4', brand: 'isom', durationMs: 12_500 });
    expect(probeVideo(Buffer.from('not a video at all')).container).toBe('unknown');
  });
});

describe('parameter parsing', () => {
  it('parses field selections with expansions and modifiers', () => {
    expect(parseFields('id,children{id,media_type},media.limit(5).after(abc){id}')).toEqual([
      { name: 'id', modifiers: {}, children: undefined },
      { name: 'children', modifiers: {}, children: [
        { name: 'id', modifiers: {}, children: undefined },
        { name: 'media_type', modifiers: {}, children: undefined },
      ] },
      { name: 'media', modifiers: { limit: '5', after: 'abc' }, children: [{ name: 'id', modifiers: {}, children: undefined }] },
    ]);
    expect(parseFields(undefined)).toBeUndefined();
  });

  it('parses children lists and relaxed JSON', () => {
    expect(parseList('1,2, 3')).toEqual(['1', '2', '3']);
    expect(parseList('["1","2"]')).toEqual(['1', '2']);
    expect(parseRelaxedJson("[{username:'kevinhart4real',x:0.5,y:0.8}]")).toEqual([{ username: 'kevinhart4real', x: 0.5, y: 0.8 }]);
  });

  it('counts hashtags and mentions', () => {
    expect(countHashtags('#a #b c#d #é')).toBe(4);
    expect(countMentions('@a hi @b.c mail@example.com')).toBe(2);
  });
});

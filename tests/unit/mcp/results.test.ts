/** The result helpers and argument parsing that every tool answer goes through (src/mcp/). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../../src/errors.js';
import { nearestName, parseArguments } from '../../../src/mcp/args.js';
import { errorResult, protocolError, successResult } from '../../../src/mcp/results.js';
import { parseErrorText } from '../../helpers/client.js';

describe('errors', () => {
  it('are isError text: what went wrong, then what to do, then compact JSON, and no structuredContent', () => {
    const result = errorResult(new AppError('too_many_hashtags', 'The caption has 31 hashtags;\nInstagram allows 30.', 'Remove 1 hashtag and call again.', { hashtags: 31 }));
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const text = (result.content[0] as { text: string }).text;
    expect(text.split('\n')).toEqual([
      'The caption has 31 hashtags; Instagram allows 30.',
      'What to do: Remove 1 hashtag and call again.',
      '{"code":"too_many_hashtags","details":{"hashtags":31}}',
    ]);
    expect(parseErrorText(text)).toEqual({ code: 'too_many_hashtags', message: 'The caption has 31 hashtags; Instagram allows 30.', hint: 'Remove 1 hashtag and call again.', details: { hashtags: 31 } });
  });

  it('never carry a secret into the text', () => {
    const token = `IGAA${'Zx9'.repeat(30)}`;
    const text = (errorResult(new AppError('bad', `rejected access_token=${token}`, 'Try again.')).content[0] as { text: string }).text;
    expect(text).not.toContain(token);
  });

  it('keep the JSON-RPC message as given, without a second "MCP error" prefix', () => {
    const err = protocolError(-32002, 'No such post.');
    expect(err.message).toBe('No such post.');
    expect(err.code).toBe(-32002);
  });
});

describe('successes', () => {
  it('carry structuredContent and a summary line followed by the same data as compact JSON', () => {
    const payload = { count: 2, items: [1, 2] };
    const result = successResult(payload, 'Two items.\nsecond line');
    expect(result.structuredContent).toEqual(payload);
    expect((result.content[0] as { text: string }).text).toBe('Two items. second line\n{"count":2,"items":[1,2]}');
  });
});

describe('arguments', () => {
  const schema = z
    .object({
      metrics: z.array(z.string()).optional(),
      media_id: z.string().optional(),
      include_disabled: z.boolean().optional(),
      media: z.union([z.string(), z.strictObject({ source: z.string() })]).optional(),
      limit: z.number().int().max(100).optional(),
    })
    .strict();

  it('name the nearest accepted argument for an unknown one', () => {
    expect(nearestName('metric', ['metrics', 'media_id'])).toBe('metrics');
    expect(nearestName('id', ['media_id', 'account'])).toBe('media_id');
    expect(nearestName('include_disabld', ['include_disabled', 'refresh'])).toBe('include_disabled');
    expect(nearestName('zzzzzz', ['metrics', 'media_id'])).toBeUndefined();
  });

  it('refuse an unknown argument instead of ignoring it', () => {
    expect(() => parseArguments('instagram_get_insights', schema, { metric: ['reach'] })).toThrow(/unknown argument `metric` \(did you mean `metrics`\?\)/);
    expect(() => parseArguments('t', schema, { media: { sauce: 'a.jpg' } })).toThrow(/unknown argument `sauce` in media \(did you mean `source`\?\)/);
  });

  it('name the argument that is out of range and keep the parsed values', () => {
    expect(() => parseArguments('t', schema, { limit: 500 })).toThrow(/`limit`: Too big/);
    expect(parseArguments('t', schema, { limit: 5, metrics: ['reach'] })).toEqual({ limit: 5, metrics: ['reach'] });
    try {
      parseArguments('t', schema, { limit: 'x' });
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_arguments', hint: expect.stringMatching(/Fix/) });
    }
  });
});

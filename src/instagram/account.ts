/**
 * Account addressing shared by the domain modules, plus small parsing helpers.
 */
import { z } from 'zod';
import { GraphError } from './errors.js';
import type { HostRole } from './http.js';

export type LoginType = 'instagram' | 'facebook';

export interface AccountAuth {
  /** The IG professional account id (`user_id` on Instagram Login, `instagram_business_account.id` on Facebook Login). */
  igUserId: string;
  loginType: LoginType;
  accessToken: string;
}

/** Instagram Login accounts live on graph.instagram.com, Facebook Login accounts on graph.facebook.com. */
export function graphHostFor(loginType: LoginType): HostRole {
  return loginType === 'instagram' ? 'instagram_graph' : 'facebook_graph';
}

/** One path segment (an id), URL-encoded. */
export function seg(id: string): string {
  if (!id) throw new TypeError('An empty id cannot be used in a Graph API path');
  // encodeURIComponent keeps '.' and '..', which URL resolution would turn into a step up the path.
  if (id === '.' || id === '..') throw new TypeError(`'${id}' cannot be used as an id in a Graph API path`);
  return encodeURIComponent(id);
}

/**
 * Graph ids: strings on the wire, sometimes numbers (the code exchange). parseJsonLossless already
 * turned numbers above 15 digits into strings; shorter numbers are exact, so String() is safe.
 */
export const zId = z.union([z.string().min(1), z.number().int().nonnegative()]).transform((v) => String(v));

/** A number that may arrive as a numeric string (a big counter parsed losslessly). */
export const zNum = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform((v) => Number(v));

/** Parses a response with a zod schema; a mismatch becomes a GraphError of kind 'unknown'. */
export function parseResponse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unexpected shape';
  throw new GraphError({
    kind: 'unknown',
    message: `Unexpected response from Meta for ${what} (${where})`,
    isTransient: false,
    notApplied: false,
    hint: 'Meta answered in an unexpected format: report this; retrying is unlikely to help.',
  });
}

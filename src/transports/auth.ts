/**
 * Who is calling over HTTP. Each configured bearer token maps to an owner; optionally an OpenID
 * provider vouches for tokens it issued (the subject becomes the owner). stdio needs none of this:
 * the local user owns everything there.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import type { Logger } from '../log.js';

export interface Identity {
  owner: string;
  token: string;
}

export interface HttpAuthenticator {
  /** True when the HTTP transports require a bearer token. */
  required: boolean;
  authenticate(authorizationHeader: string | undefined): Promise<Identity | null>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function createHttpAuthenticator(config: AppConfig, logger: Logger, clock: Clock): HttpAuthenticator {
  const staticTokens = [...config.http.tokens.entries()].map(([token, owner]) => ({ hash: digest(token), owner }));
  const issuer = config.http.oidcIssuer;
  const required = staticTokens.length > 0 || Boolean(issuer);
  const oidcCache = new Map<string, { owner: string; until: number }>();
  let oidcConfig: Promise<unknown> | undefined;

  async function viaOidc(token: string): Promise<string | null> {
    if (!issuer) return null;
    const key = digest(token).toString('hex');
    const cached = oidcCache.get(key);
    if (cached && cached.until > clock.now()) return cached.owner;
    const client = await import('openid-client');
    oidcConfig ??= client.discovery(new URL(issuer), 'instagram-mcp');
    try {
      const info = await client.fetchUserInfo((await oidcConfig) as Awaited<ReturnType<typeof client.discovery>>, token, client.skipSubjectCheck);
      const owner = `oidc:${info.sub}`;
      oidcCache.set(key, { owner, until: clock.now() + 5 * 60 * 1000 });
      return owner;
    } catch (err) {
      logger.info('OpenID provider rejected a bearer token', { error: err });
      return null;
    }
  }

  return {
    required,
    async authenticate(header) {
      if (!required) return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      if (!match) return null;
      const token = match[1]!;
      const hash = digest(token);
      // Compare against every token so the time taken does not reveal which one matched.
      let owner: string | null = null;
      for (const entry of staticTokens) {
        if (timingSafeEqual(entry.hash, hash)) owner = entry.owner;
      }
      owner ??= await viaOidc(token);
      return owner ? { owner, token } : null;
    },
  };
}

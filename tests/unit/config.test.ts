import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseCliFlags, TOOLSETS } from '../../src/config.js';

const base = { INSTAGRAM_MCP_DATA_DIR: '/tmp/igmcp-config-test' };

function problems(env: Record<string, string>, flags = {}): string[] {
  try {
    loadConfig({ ...base, ...env }, flags);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('defaults to Meta hosts, a current version, stdio, and sandbox when no credentials are set', () => {
    const config = loadConfig(base);
    expect(config.urls.instagramGraph).toBe('https://graph.instagram.com');
    expect(config.urls.facebookGraph).toBe('https://graph.facebook.com');
    expect(config.urls.instagramApi).toBe('https://api.instagram.com');
    expect(config.urls.instagramAuthorize).toBe('https://www.instagram.com/oauth/authorize');
    expect(config.urls.facebookDialog).toBe('https://www.facebook.com');
    expect(config.urls.rupload).toBe('https://rupload.facebook.com');
    expect(config.apiVersion).toMatch(/^v2\d\.0$/);
    expect(config.transport).toBe('stdio');
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.sandbox).toBe('no_credentials');
    expect(config.toolsets).toEqual([...TOOLSETS]);
    expect(config.readOnly).toBe(false);
  });

  it('leaves sandbox mode when credentials are configured, and honours an explicit request', () => {
    expect(loadConfig({ ...base, INSTAGRAM_APP_ID: '123', INSTAGRAM_APP_SECRET: 's3cret-value' }).sandbox).toBeNull();
    expect(loadConfig({ ...base, INSTAGRAM_APP_ID: '123', INSTAGRAM_APP_SECRET: 's3cret-value' }, { sandbox: true }).sandbox).toBe('requested');
    expect(loadConfig({ ...base, INSTAGRAM_MCP_SANDBOX: '0' }).sandbox).toBeNull();
  });

  it('names the setting and the problem for malformed values', () => {
    expect(problems({ INSTAGRAM_GRAPH_URL: 'not a url' }).join('\n')).toMatch(/INSTAGRAM_GRAPH_URL: must be an http\(s\) URL/);
    expect(problems({ GRAPH_API_VERSION: 'latest' }).join('\n')).toMatch(/GRAPH_API_VERSION: must look like v25.0/);
    expect(problems({ INSTAGRAM_MCP_PORT: 'eighty' }).join('\n')).toMatch(/INSTAGRAM_MCP_PORT/);
    expect(problems({ INSTAGRAM_MCP_PORT: '70000' }).join('\n')).toMatch(/INSTAGRAM_MCP_PORT: must be 0-65535/);
    expect(problems({ INSTAGRAM_MCP_TOOLSETS: 'reading,posting' }).join('\n')).toMatch(/INSTAGRAM_MCP_TOOLSETS.*unknown toolset 'posting'/);
    expect(problems({ INSTAGRAM_MCP_READ_ONLY: 'maybe' }).join('\n')).toMatch(/INSTAGRAM_MCP_READ_ONLY: must be 1 or 0/);
    expect(problems({ INSTAGRAM_MCP_ENCRYPTION_KEY: 'short' }).join('\n')).toMatch(/INSTAGRAM_MCP_ENCRYPTION_KEY: must be 64 hex/);
    expect(problems({ INSTAGRAM_MCP_HTTP_TOKEN: 'abc' }).join('\n')).toMatch(/INSTAGRAM_MCP_HTTP_TOKEN: must be at least 16/);
    expect(problems({ INSTAGRAM_MCP_TRANSPORT: 'websocket' }).join('\n')).toMatch(/INSTAGRAM_MCP_TRANSPORT: must be stdio or http/);
    expect(problems({ INSTAGRAM_APP_ID: 'my-app' }).join('\n')).toMatch(/INSTAGRAM_APP_ID: must be the numeric app id/);
  });

  it('reports missing halves of a credential pair', () => {
    expect(problems({ INSTAGRAM_APP_ID: '123' })).toContain('INSTAGRAM_APP_SECRET: required when INSTAGRAM_APP_ID is set');
    expect(problems({ FACEBOOK_APP_SECRET: 'x'.repeat(20) })).toContain('FACEBOOK_APP_ID: required when FACEBOOK_APP_SECRET is set');
  });

  it('parses lists, flags and CLI options, CLI winning over the environment', () => {
    const config = loadConfig(
      { ...base, INSTAGRAM_MCP_TOOLSETS: 'reading, insights', INSTAGRAM_MCP_READ_ONLY: 'true', INSTAGRAM_MCP_PORT: '9000', INSTAGRAM_MCP_HTTP_TOKENS: 'bob=bobs-token-0123456789' },
      parseCliFlags(['--transport', 'http', '--port=9100', '--host', '0.0.0.0']),
    );
    expect(config.toolsets).toEqual(['reading', 'insights']);
    expect(config.readOnly).toBe(true);
    expect(config.transport).toBe('http');
    expect(config.http.port).toBe(9100);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.http.tokens.get('bobs-token-0123456789')).toBe('bob');
  });

  it('refuses to serve HTTP on a reachable address without authentication, unless told a proxy authenticates', () => {
    const open = problems({}, { transport: 'http', host: '0.0.0.0' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(/^INSTAGRAM_MCP_HOST: 0\.0\.0\.0 can be reached from other machines.*INSTAGRAM_MCP_HTTP_TOKEN.*127\.0\.0\.1.*INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED=1/);
    expect(problems({ INSTAGRAM_MCP_HOST: '192.0.2.10', INSTAGRAM_MCP_TRANSPORT: 'http' })).toHaveLength(1);
    // Authenticated, explicitly allowed, loopback, or not serving HTTP at all: fine.
    expect(problems({ INSTAGRAM_MCP_HTTP_TOKEN: 'a'.repeat(24) }, { transport: 'http', host: '0.0.0.0' })).toEqual([]);
    expect(problems({ INSTAGRAM_MCP_ALLOW_UNAUTHENTICATED: '1' }, { transport: 'http', host: '0.0.0.0' })).toEqual([]);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(problems({}, { transport: 'http', host }), host).toEqual([]);
    expect(problems({}, { host: '0.0.0.0' })).toEqual([]);
  });

  it('refuses unknown CLI options and flags without values', () => {
    expect(() => parseCliFlags(['--prot', '1'])).toThrow(/unknown option/);
    expect(() => parseCliFlags(['--port'])).toThrow(/needs a value/);
  });

  it('switches to hosted mode with a postgres:// URL: a token key is required, Streamable HTTP goes stateless', () => {
    const url = 'postgres://instagram_mcp@db.internal:5432/instagram_mcp';
    expect(() => loadConfig({ ...base, INSTAGRAM_MCP_DATABASE_URL: url })).toThrow(/INSTAGRAM_MCP_ENCRYPTION_KEY: hosted mode/);
    expect(() => loadConfig({ ...base, INSTAGRAM_MCP_DATABASE_URL: 'mysql://x@y/z' })).toThrow(/postgres:\/\//);
    const key = 'a'.repeat(64);
    const hosted = loadConfig({ ...base, INSTAGRAM_MCP_DATABASE_URL: url, INSTAGRAM_MCP_ENCRYPTION_KEY: key, INSTAGRAM_MCP_DATABASE_POOL: '4', INSTAGRAM_MCP_UPLOADS_DIR: '/srv/shared/uploads' });
    expect(hosted.database).toEqual({ url, poolSize: 4 });
    expect(hosted.http.stateless).toBe(true);
    expect(hosted.uploadsDir).toBe('/srv/shared/uploads');
    expect(loadConfig({ ...base, INSTAGRAM_MCP_DATABASE_URL: url, INSTAGRAM_MCP_ENCRYPTION_KEY: key, INSTAGRAM_MCP_HTTP_STATELESS: '0' }).http.stateless).toBe(false);
    const embedded = loadConfig(base);
    expect(embedded.database).toBeUndefined();
    expect(embedded.http.stateless).toBe(false);
    expect(embedded.uploadsDir).toBeUndefined();
  });
});

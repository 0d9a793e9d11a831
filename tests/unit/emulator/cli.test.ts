import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('standalone emulator (npm run emulator)', () => {
  it('prints its base URL and app credentials, then serves the Graph and admin APIs', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0', '--no-seed'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const summary = await new Promise<{ baseUrl: string; apps: Record<string, string>; accounts: Record<string, { id: string }> }>(
        (resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no summary printed: ${out}`)), 15_000);
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const start = out.indexOf('{');
            const end = out.indexOf('\n\n# Point');
            if (start < 0 || end < 0 || !out.slice(end).includes('INSTAGRAM_RUPLOAD_URL')) return;
            try {
              const parsed = JSON.parse(out.slice(start, end));
              clearTimeout(timer);
              resolve(parsed);
            } catch {
              // wait for more output
            }
          });
          child.on('exit', (code) => reject(new Error(`emulator exited with ${code}: ${out}`)));
        },
      );
      expect(out).toMatch(/^Instagram Graph API emulator listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(summary.apps.instagramAppId).toMatch(/^\d+$/);
      expect(summary.apps.instagramAppSecret).toMatch(/^[0-9a-f]{32}$/);
      expect(out).toContain(`export INSTAGRAM_GRAPH_URL=${summary.baseUrl}/graph.instagram.com`);
      expect(out).toContain(`export INSTAGRAM_APP_ID=${summary.apps.instagramAppId}`);
      const token = await fetch(`${summary.baseUrl}/__emulator/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: summary.accounts['instagramBusiness']!.id, loginType: 'instagram' }),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const me = await fetch(`${summary.baseUrl}/graph.instagram.com/v24.0/me?fields=username`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      }).then((r) => r.json() as Promise<{ username: string }>);
      expect(me.username).toBe('sandbox_bakery');
      const advanced = await fetch(`${summary.baseUrl}/__emulator/clock/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ms: 61 * 86_400_000 }),
      });
      expect(advanced.status).toBe(200);
      const expired = await fetch(`${summary.baseUrl}/graph.instagram.com/v24.0/me`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      }).then((r) => r.json() as Promise<{ error: { error_subcode: number } }>);
      expect(expired.error.error_subcode).toBe(463);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

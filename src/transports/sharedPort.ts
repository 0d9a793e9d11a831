/**
 * The fixed port behind INSTAGRAM_MCP_PUBLIC_URL in stdio mode, shared by every instance of this
 * server on the same data folder (a desktop client and an IDE each start one with the same settings).
 *
 * Each instance serves its media and the OAuth callback on a listener of its own on an ephemeral
 * loopback port (its backend) and registers it in `<dataDir>/listeners/`. The instance that binds
 * the fixed port first holds it and forwards every request there: to its own backend first (the
 * callback completes any instance's login, sessions live in the shared store), and a media request
 * its own backend does not know (404) to the other instances' backends in turn (hosted media lives in
 * the memory of the process that published it). An instance that finds the port taken asks who holds
 * it: a sibling (its answer names a registration in our data folder) is left to serve, and the port
 * is tried again on a timer so that a sibling takes over when the holder exits; anything else is a
 * clear error.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Clock, Timer } from '../clock.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';

/** Answers which instance holds the port; only a registration in the data folder makes it a sibling. */
const SHARED_PORT_ID_PATH = '/.well-known/instagram-mcp-instance';
/** How often an instance that does not hold the port tries to take it over. */
const TAKEOVER_RETRY_MS = 2_000;
const PROBE_TIMEOUT_MS = 3_000;
const INSTANCE_ID = /^[a-f0-9]{32}$/;

export interface SharedPortOptions {
  port: number;
  host: string;
  dataDir: string;
  /** This instance's own media/callback listener. */
  backendPort: number;
  /** Host and Origin checks for requests to the fixed port (DNS rebinding), as the listener would make them. */
  allowedHosts: Set<string>;
  allowedOrigins: Set<string>;
  clock: Clock;
  logger: Logger;
  retryMs?: number;
}

export interface SharedPort {
  /** The fixed port's address (what the redirect URI and the public URL reach). */
  url: string;
  port: number;
  /** Whether this instance holds the port now (false while a sibling does). */
  holding(): boolean;
  close(): Promise<void>;
}

interface Registration {
  pid: number;
  port: number;
}

export async function openSharedPort(o: SharedPortOptions): Promise<SharedPort> {
  const log = o.logger.child({ component: 'shared-port' });
  const registry = path.join(o.dataDir, 'listeners');
  const instance = randomBytes(16).toString('hex');
  const ownFile = path.join(registry, `${instance}.json`);
  fs.mkdirSync(registry, { recursive: true, mode: 0o700 });
  fs.writeFileSync(ownFile, JSON.stringify({ pid: process.pid, port: o.backendPort } satisfies Registration), { mode: 0o600 });

  let server: http.Server | undefined;
  let retry: Timer | undefined;
  let closed = false;
  const probeHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;

  const tryBind = async (): Promise<'bound' | 'in_use'> => {
    const candidate = http.createServer((req, res) => {
      forward(req, res).catch((err: unknown) => {
        log.warn('forwarding a request failed', { path: req.url?.split('?')[0], error: err });
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad_gateway' }));
        else res.destroy();
      });
    });
    candidate.keepAliveTimeout = 65_000;
    const outcome = await new Promise<'bound' | 'in_use' | Error>((resolve) => {
      candidate.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in_use' : err));
      candidate.listen(o.port, o.host, () => resolve('bound'));
    });
    if (outcome instanceof Error) throw outcome;
    if (outcome === 'bound') server = candidate;
    return outcome;
  };

  /** Who answers on the port: a sibling (same data folder), something else, or nothing any more. */
  const whoHolds = async (): Promise<'sibling' | 'other' | 'nobody'> => {
    const abort = new AbortController();
    const timer = o.clock.setTimer(PROBE_TIMEOUT_MS, () => abort.abort());
    try {
      const response = await fetch(`http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${o.port}${SHARED_PORT_ID_PATH}`, { signal: abort.signal });
      const body = (await response.json().catch(() => ({}))) as { service?: unknown; instance?: unknown };
      const id = typeof body.instance === 'string' && INSTANCE_ID.test(body.instance) ? body.instance : undefined;
      return body.service === 'instagram-mcp' && id && fs.existsSync(path.join(registry, `${id}.json`)) ? 'sibling' : 'other';
    } catch (err) {
      return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? 'nobody' : 'other';
    } finally {
      timer.cancel();
    }
  };

  const scheduleTakeover = () => {
    if (closed) return;
    retry = o.clock.setTimer(o.retryMs ?? TAKEOVER_RETRY_MS, () => {
      tryBind().then(
        (outcome) => {
          if (outcome === 'bound') log.info('took over the shared media/callback port from an instance that stopped', { port: o.port });
          else scheduleTakeover();
        },
        (err: unknown) => {
          log.warn('cannot take over the shared media/callback port', { port: o.port, error: err });
          scheduleTakeover();
        },
      );
    });
  };

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!o.allowedHosts.has(host)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'forbidden', error_description: `Host '${host}' is not allowed (set INSTAGRAM_MCP_ALLOWED_HOSTS to accept it).` }));
    }
    const origin = req.headers.origin;
    if (origin && !o.allowedOrigins.has(origin.toLowerCase())) {
      res.writeHead(403, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'forbidden', error_description: `Origin '${origin}' is not allowed (set INSTAGRAM_MCP_ALLOWED_ORIGINS to accept it).` }));
    }
    if (new URL(req.url ?? '/', 'http://x').pathname === SHARED_PORT_ID_PATH) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ service: 'instagram-mcp', instance }));
    }
    // Only reads can be asked of one backend after another; anything else goes to ours alone.
    const replayable = req.method === 'GET' || req.method === 'HEAD';
    const backends = replayable ? [o.backendPort, ...siblingPorts()] : [o.backendPort];
    for (let i = 0; i < backends.length; i++) {
      const last = i === backends.length - 1;
      const answer = await ask(req, backends[i]!, host, replayable).catch(() => undefined);
      if (!answer) continue; // a sibling that just stopped
      if (answer.statusCode === 404 && !last) {
        answer.resume();
        continue;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      return;
    }
    if (!res.headersSent) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
  }

  /** The other instances' backends; registrations of processes that are gone are removed. */
  function siblingPorts(): number[] {
    const ports: number[] = [];
    let names: string[] = [];
    try {
      names = fs.readdirSync(registry);
    } catch {
      return ports;
    }
    for (const name of names) {
      if (!name.endsWith('.json') || name === `${instance}.json`) continue;
      const file = path.join(registry, name);
      try {
        const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as Registration;
        if (!isAlive(entry.pid)) {
          fs.rmSync(file, { force: true });
          continue;
        }
        if (Number.isInteger(entry.port) && entry.port > 0) ports.push(entry.port);
      } catch {
        // being written, or not ours to read: skipped this time
      }
    }
    return ports;
  }

  if ((await tryBind()) === 'in_use') {
    let holder = await whoHolds();
    // The holder may have stopped between our attempt and the question.
    if (holder === 'nobody' && (await tryBind()) === 'in_use') holder = await whoHolds();
    if (!server && holder !== 'sibling') {
      fs.rmSync(ownFile, { force: true });
      throw new AppError(
        'port_in_use',
        `Port ${o.port} (INSTAGRAM_MCP_PORT), where the media behind INSTAGRAM_MCP_PUBLIC_URL and the OAuth callback are served, is in use by another program.`,
        'Stop that program, or set INSTAGRAM_MCP_PORT to a free port and point the tunnel or proxy behind INSTAGRAM_MCP_PUBLIC_URL at it. (Another instagram-mcp with the same INSTAGRAM_MCP_DATA_DIR would share the port.)',
      );
    }
    if (!server) {
      log.info('another instance on the same data folder holds the media/callback port and serves this one too', { port: o.port });
      scheduleTakeover();
    }
  }

  return {
    url: `http://${shownHost}:${o.port}`,
    port: o.port,
    holding: () => server !== undefined,
    async close() {
      closed = true;
      retry?.cancel();
      fs.rmSync(ownFile, { force: true });
      const s = server;
      server = undefined;
      if (s) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };

  function ask(req: IncomingMessage, port: number, host: string, replayable: boolean): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: `127.0.0.1:${port}`, 'x-forwarded-host': host };
      // Checked above against the fixed port's origins; the backend would check it against its own port.
      delete headers.origin;
      const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, resolve);
      out.once('error', reject);
      if (replayable) out.end();
      else req.pipe(out);
    });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

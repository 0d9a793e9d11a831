/**
 * Tiny node:http stub server for the Graph client tests (no emulator dependency).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VirtualClock } from '../../../src/clock.js';
import { GraphHttp, type GraphHttpOptions, type RequestInfo } from '../../../src/instagram/http.js';
import { createLogger, type Logger } from '../../../src/log.js';

export interface StubRequest {
  method: string;
  /** Raw request target, path + query. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  form: URLSearchParams;
}

export type StubHandler = (req: StubRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface Stub {
  url: string;
  port: number;
  requests: StubRequest[];
  handler: StubHandler;
  close(): Promise<void>;
}

export async function startStub(handler: StubHandler = (_r, res) => sendJson(res, 200, {})): Promise<Stub> {
  const requests: StubRequest[] = [];
  const stub = { requests, handler } as Stub;
  const server: Server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const u = new URL(raw.url ?? '/', 'http://stub');
      const body = Buffer.concat(chunks);
      const entry: StubRequest = {
        method: raw.method ?? 'GET',
        url: raw.url ?? '/',
        path: u.pathname,
        query: u.searchParams,
        headers: raw.headers,
        body,
        form: new URLSearchParams(String(raw.headers['content-type'] ?? '').includes('x-www-form-urlencoded') ? body.toString('utf8') : ''),
      };
      requests.push(entry);
      Promise.resolve(stub.handler(entry, res, raw)).catch((err) => {
        res.statusCode = 599;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  stub.url = `http://127.0.0.1:${port}`;
  stub.port = port;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** Sends a body; a string is sent verbatim (to test lossless parsing of raw JSON). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export function graphError(
  res: ServerResponse,
  code: number,
  opts: { subcode?: number; status?: number; message?: string; transient?: boolean; headers?: Record<string, string>; type?: string } = {},
): void {
  sendJson(
    res,
    opts.status ?? 400,
    {
      error: {
        message: opts.message ?? `error ${code}`,
        type: opts.type ?? 'OAuthException',
        code,
        ...(opts.subcode !== undefined ? { error_subcode: opts.subcode } : {}),
        ...(opts.transient !== undefined ? { is_transient: opts.transient } : {}),
        fbtrace_id: 'AbCdEf',
      },
    },
    opts.headers,
  );
}

export interface HttpFixture {
  http: GraphHttp;
  clock: VirtualClock;
  infos: RequestInfo[];
  logs: string[];
}

/** A GraphHttp whose four hosts point at the stub, each under its own path prefix. */
export function makeHttp(stub: Stub, opts: Partial<GraphHttpOptions> = {}): HttpFixture {
  const clock = new VirtualClock();
  const infos: RequestInfo[] = [];
  const logs: string[] = [];
  const http = new GraphHttp({
    baseUrls: {
      instagramGraph: `${stub.url}/graph.instagram.com`,
      facebookGraph: `${stub.url}/graph.facebook.com`,
      instagramApi: `${stub.url}/api.instagram.com`,
      rupload: `${stub.url}/rupload.facebook.com`,
    },
    apiVersion: 'v24.0',
    clock,
    random: () => 0.5,
    onRequest: (info) => infos.push(info),
    logger: captureLogger(logs),
    ...opts,
  });
  return { http, clock, infos, logs };
}


export function captureLogger(lines: string[]): Logger {
  return createLogger({ level: 'debug', write: (line) => lines.push(line) });
}

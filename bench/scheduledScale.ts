/**
 * Scheduled publishing at scale, on the emulator's virtual clock, in the embedded single process
 * (SQLite, the embedded job runner) and in hosted mode (PostgreSQL, pg-boss) in the same run: by
 * default 10,000 posts (one in ten a reel) over 1,000 accounts of 100 owners, due over the next 24
 * hours, scheduled through each owner's own MCP client. Time moves to the next timer anything set (at
 * least a second, at most a minute at once), each move once the work the last one started is done,
 * so lateness (the emulator's
 * publish time minus publish_at) measures the design (poll intervals, processing waits), not the
 * machine.
 *
 * pg-boss compares a job's start_after with the database's now(). So that the database keeps the
 * bench's virtual time as the server and the emulator do, the bench's database role resolves now() to
 * a function reading that time (its search_path puts the function's schema before pg_catalog); the
 * bench writes the time before every step. Nothing else differs from a hosted deployment.
 *
 * INSTAGRAM_MCP_BENCH_SCHEDULED_POSTS (default 10000) sets the number of posts; accounts and owners
 * follow at one account per 10 posts and one owner per 10 accounts.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import pg from 'pg';
import { createApp, type App } from '../src/app.js';
import { VirtualClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createEmulator } from '../src/emulator/index.js';
import { createLogger } from '../src/log.js';
import { createServer } from '../src/server.js';
import { startHttpServer } from '../src/transports/http.js';
import { makeJpeg, makeMp4, startFileServer } from '../tests/unit/emulator/fixtures.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../tests/helpers/postgres.js';
import { benchEnv, quantile, UNLIMITED } from './setup.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const SPAN_MS = 24 * HOUR;
const SCHEDULING_CONCURRENCY = 8;
const MIN_STEP_MS = 1000;
const CLOCK_SCHEMA = 'igmcp_virtual_clock';

export interface ScaleMode {
  label: string;
  published: number;
  duplicates: number;
  lateP50Ms: number;
  lateP99Ms: number;
  lateMaxMs: number;
  /** Wall time to schedule every post through the tools. */
  schedulingMs: number;
  /** Wall time to run the virtual day. */
  runMs: number;
  peakRssMb: number;
}

export interface ScaleBench {
  posts: number;
  accounts: number;
  owners: number;
  modes: ScaleMode[];
  skipped?: string;
}

/**
 * The virtual clock, with sleeps that wait for the bench to move time. (VirtualClock's own sleep moves
 * time forward for everyone at once, so with thousands of posts polling, time would run ahead of
 * the posts due meanwhile and their lateness would measure the others' polls.)
 */
class DrivenClock extends VirtualClock {
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        timer.cancel();
        reject(signal!.reason);
      };
      const timer = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Graph requests this process has open (undici's diagnostics channel sees each one start and end). */
const graphRequests = { started: 0, ended: 0 };
diagnostics.subscribe('undici:request:create', () => graphRequests.started++);
diagnostics.subscribe('undici:request:trailers', () => graphRequests.ended++);
diagnostics.subscribe('undici:request:error', () => graphRequests.ended++);

/** Every PostgreSQL connection this process opened (the store's, pg-boss's), to see queries open on them. */
const pgClients = new Set<pg.Client>();
const pgConnect = pg.Client.prototype.connect as (this: pg.Client, ...args: unknown[]) => unknown;
(pg.Client.prototype as { connect: unknown }).connect = function (this: pg.Client, ...args: unknown[]) {
  pgClients.add(this);
  this.once('end', () => pgClients.delete(this));
  return pgConnect.apply(this, args);
};
function openQueries(): number {
  let open = 0;
  for (const c of pgClients) {
    const inner = c as unknown as { _activeQuery: unknown; _queryQueue: unknown[] };
    open += (inner._activeQuery ? 1 : 0) + inner._queryQueue.length;
  }
  return open;
}

/**
 * Waits until what the last move of time started is done: no job running, no Graph request and no
 * PostgreSQL query open, and nothing new (a request, a timer) for two rounds of the event loop.
 */
async function quiescence(app: App, clock: DrivenClock): Promise<void> {
  let last = '';
  for (let same = 0; same < 2; ) {
    await app.jobs.idle();
    await new Promise((resolve) => setImmediate(resolve));
    const open = graphRequests.started - graphRequests.ended + openQueries();
    const now = `${open}:${graphRequests.started}:${clock.pendingTimers()}:${clock.nextTimerAt()}`;
    if (open === 0 && now === last) same++;
    else same = 0;
    last = now;
  }
}

type Call = (name: string, args: Record<string, unknown>) => Promise<{ isError: boolean; text: string; data: Record<string, unknown> | undefined }>;

function clientFor(app: App, owner: string): Promise<{ call: Call; close(): Promise<void> }> {
  const { server } = createServer(app, { ownerFor: () => owner });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: `bench-${owner}`, version: '1.0.0' });
  return server.connect(serverTransport).then(async () => {
    await client.connect(clientTransport);
    await client.listTools();
    return {
      async call(name, args) {
        const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
        const text = Array.isArray(r.content) && r.content[0] && 'text' in r.content[0] ? String(r.content[0].text) : '';
        return { isError: Boolean(r.isError), text, data: r.structuredContent as Record<string, unknown> | undefined };
      },
      close: () => client.close(),
    };
  });
}

/** now() for the bench role: the virtual time the bench last wrote. */
async function installVirtualNow(database: TestDatabase, start: number): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: database.adminUrl });
  await admin.connect();
  await admin.query(`create schema ${CLOCK_SCHEMA}`);
  await admin.query(`create table ${CLOCK_SCHEMA}.current (t timestamptz not null)`);
  await admin.query(`insert into ${CLOCK_SCHEMA}.current values (to_timestamp($1::float8 / 1000))`, [start]);
  await admin.query(`create function ${CLOCK_SCHEMA}.now() returns timestamptz language sql stable as 'select t from ${CLOCK_SCHEMA}.current'`);
  await admin.query(`grant usage on schema ${CLOCK_SCHEMA} to ${database.role}`);
  await admin.query(`grant select on ${CLOCK_SCHEMA}.current to ${database.role}`);
  // public first, so that tables are still created and found there; then the clock; pg_catalog last.
  await admin.query(`alter role ${database.role} set search_path = public, ${CLOCK_SCHEMA}, pg_catalog`);
  return admin;
}

async function runMode(kind: 'embedded' | 'hosted', posts: number, accounts: number, owners: number, database?: TestDatabase): Promise<ScaleMode> {
  const clock = new DrivenClock();
  let steps = 0;
  const emulator = createEmulator({ clock, ...UNLIMITED, processing: { imageMs: 3000, videoMs: 40_000 } });
  await emulator.start(0, '127.0.0.1');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-scale-data-'));
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'igmcp-bench-scale-media-'));
  const reels: Record<string, Buffer> = {};
  for (let i = 0; i < posts; i += 10) reels[`/r${i}.mp4`] = makeMp4(5, 1024 + i);
  const files = await startFileServer(reels);
  const clockAdmin = database ? await installVirtualNow(database, clock.now()) : undefined;
  const env: Record<string, string> = { ...benchEnv(emulator, dataDir, mediaDir), INSTAGRAM_MCP_PUBLISH_WAIT_SECONDS: '0' };
  if (database) Object.assign(env, { INSTAGRAM_MCP_DATABASE_URL: database.url, INSTAGRAM_MCP_DATABASE_POOL: '10' });
  const app = await createApp(loadConfig(env, {}), { clock, logger: createLogger({ level: 'warn', write: () => {} }) });
  const media = await startHttpServer(app, { mediaOnly: true, port: 0, host: '127.0.0.1' });
  app.mediaHost.setPublicBaseUrl(media.url);
  const clients: Array<{ call: Call; close(): Promise<void> }> = [];
  let peakRss = 0;
  const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  try {
    for (let o = 0; o < owners; o++) clients.push(await clientFor(app, `owner-${o}`));
    const perOwner = Math.ceil(accounts / owners);
    const ownerOf = (account: number) => Math.min(owners - 1, Math.floor(account / perOwner));
    const usernames: string[] = [];
    for (let a = 0; a < accounts; a++) {
      const user = emulator.addInstagramAccount({ username: `scale_${a}` });
      usernames.push(`@${user.username}`);
      const r = await clients[ownerOf(a)]!.call('instagram_authenticate', { access_token: emulator.issueToken({ userId: user.id, loginType: 'instagram', lifetime: 'long' }) });
      if (r.isError) throw new Error(`connecting account ${a}: ${r.text}`);
    }
    app.startBackground();

    const start = clock.now();
    const times: number[] = [];
    for (let i = 0; i < posts; i++) times.push(start + 20 * MINUTE + Math.floor((i * SPAN_MS) / posts) + (i % 7) * 1000);
    const schedulingStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SCHEDULING_CONCURRENCY }, async () => {
        for (let i = next++; i < posts; i = next++) {
          const account = i % accounts;
          const reel = i % 10 === 0;
          let file: string;
          if (reel) file = files.url(`/r${i}.mp4`);
          else {
            file = path.join(mediaDir, `s${i}.jpg`);
            writeFileSync(file, makeJpeg(1080, 1080, 256 + i));
          }
          const out = await clients[ownerOf(account)]!.call(reel ? 'instagram_create_reel' : 'instagram_create_post', {
            account: usernames[account],
            ...(reel ? { video: file } : { media: file }),
            caption: `Scale ${i}`,
            publish_at: new Date(times[i]!).toISOString(),
          });
          if (out.isError) throw new Error(`scheduling post ${i}: ${out.text}`);
          if (i % 500 === 0) sampleRss();
        }
      }),
    );
    const schedulingMs = performance.now() - schedulingStarted;

    const runStarted = performance.now();
    const end = times[times.length - 1]! + 10 * MINUTE;
    let nextReport = start + (end - start) / 10;
    // Event by event: time moves to the next timer anyone set (a poll, a retry, a publish_at, the job
    // queue's next look), at most a minute at once, once everything started by the last move is done.
    while (clock.now() < end) {
      await quiescence(app, clock);
      const next = clock.nextTimerAt();
      if (next !== undefined && next <= clock.now()) {
        clock.advance(0);
        continue;
      }
      // At least a second at once (timers inside it still fire at their own times, in order; what they
      // start waits for the next move), so 10,000 posts' checks do not make millions of moves.
      const target = Math.min(end, Math.max(next ?? Infinity, clock.now() + MIN_STEP_MS), clock.now() + MINUTE);
      // pg-boss hands out jobs with start_after < now(), the embedded runner those with runAt <= now:
      // the database one millisecond ahead makes them agree.
      if (clockAdmin) await clockAdmin.query(`update ${CLOCK_SCHEMA}.current set t = to_timestamp($1::float8 / 1000)`, [target + 1]);
      clock.advance(target - clock.now());
      if (++steps % 2000 === 0) sampleRss();
      if (clock.now() >= nextReport) {
        process.stderr.write(`bench scheduled-scale ${kind}: ${Math.round(((clock.now() - start) / (end - start)) * 100)} % of the virtual day after ${Math.round((performance.now() - runStarted) / 1000)} s\n`);
        nextReport += (end - start) / 10;
      }
    }
    await quiescence(app, clock);
    const runMs = performance.now() - runStarted;

    const byCaption = new Map<string, number[]>();
    for (const m of emulator.publishedMedia()) {
      if (!m.caption?.startsWith('Scale ')) continue;
      byCaption.set(m.caption, [...(byCaption.get(m.caption) ?? []), m.timestamp]);
    }
    const late = times.map((t, i) => (byCaption.get(`Scale ${i}`)?.[0] ?? NaN) - t).filter((x) => Number.isFinite(x));
    const duplicates = [...byCaption.values()].filter((v) => v.length > 1).length;
    sampleRss();
    return {
      label: kind === 'hosted' ? 'hosted (PostgreSQL, pg-boss)' : 'embedded (SQLite, 1 process)',
      published: byCaption.size,
      duplicates,
      lateP50Ms: quantile(late, 0.5),
      lateP99Ms: quantile(late, 0.99),
      lateMaxMs: Math.max(...late),
      schedulingMs,
      runMs,
      peakRssMb: peakRss / (1 << 20),
    };
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await media.close();
    await app.close();
    await clockAdmin?.end();
    await files.close();
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }
}

export async function benchScheduledScale(posts = Number(process.env.INSTAGRAM_MCP_BENCH_SCHEDULED_POSTS ?? 10_000)): Promise<ScaleBench> {
  const accounts = Math.max(1, Math.round(posts / 10));
  const owners = Math.max(1, Math.round(accounts / 10));
  const modes: ScaleMode[] = [await runMode('embedded', posts, accounts, owners)];
  const unavailable = await postgresUnavailable('bench scheduled-scale');
  if (unavailable !== null) return { posts, accounts, owners, modes, skipped: `hosted mode: PostgreSQL does not answer (${unavailable})` };
  const database = await createTestDatabase();
  try {
    modes.push(await runMode('hosted', posts, accounts, owners, database));
  } finally {
    await database.drop();
  }
  return { posts, accounts, owners, modes };
}

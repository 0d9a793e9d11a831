/**
 * Carousel of 10 images (URLs on a local file server) at 100 ms emulator latency, real time, image
 * processing 0: `instagram_create_post` against an IDEAL client written here that issues the same calls
 * as concurrently as the API allows — the quota read alongside the 10 child containers created at once,
 * their statuses read at once, the parent created, its status read, published, the permalink read
 * (6 sequential round trips, 25 calls). Runs alternate; medians. The request log of our run says where
 * the time goes: each Graph call's arrival time, grouped into sequential waves.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { LoggedRequest } from '../src/emulator/index.js';
import { makeJpeg, startFileServer } from '../tests/unit/emulator/fixtures.js';
import { graphCalls, median, startBenchApp, type BenchApp } from './setup.js';

export interface Wave {
  /** Start of the wave, ms after the first call of the run. */
  atMs: number;
  calls: string[];
}

export interface CarouselResult {
  runs: number;
  latencyMs: number;
  oursMedianMs: number;
  idealMedianMs: number;
  ratio: number;
  oursCalls: number;
  idealCalls: number;
  oursWaves: number;
  idealWaves: number;
  oursMs: number[];
  idealMs: number[];
  /** Our calls of the median run, grouped into sequential round trips. */
  oursTimeline: Wave[];
  idealTimeline: Wave[];
}

function label(r: LoggedRequest, igUserId: string): string {
  if (r.hostRole === 'rupload') return 'upload';
  if (r.path.endsWith('/content_publishing_limit')) return 'quota';
  if (r.path.endsWith('/media_publish')) return 'publish';
  if (r.method === 'POST' && r.path === `/${igUserId}/media`) return r.params['media_type'] === 'CAROUSEL' ? 'create parent' : r.params['is_carousel_item'] ? 'create child' : 'create';
  if (r.method === 'GET' && r.path === `/${igUserId}/media`) return 'list media';
  if (r.method === 'GET' && /^\/\d+$/.test(r.path)) return /status_code/.test(r.params['fields'] ?? '') ? 'status' : `read ${r.params['fields'] ?? ''}`.trim();
  return `${r.method} ${r.path}`;
}

/** Groups calls into waves: a call arriving more than half the latency after the previous one starts a new wave. */
export function waves(log: LoggedRequest[], igUserId: string, latencyMs: number): Wave[] {
  const calls = graphCalls(log).sort((a, b) => a.time - b.time);
  const out: Wave[] = [];
  const t0 = calls[0]?.time ?? 0;
  let last = -Infinity;
  for (const c of calls) {
    if (c.time - last > latencyMs / 2 || out.length === 0) out.push({ atMs: c.time - t0, calls: [] });
    out[out.length - 1]!.calls.push(label(c, igUserId));
    last = c.time;
  }
  // Compact "create child ×5" style labels.
  return out.map((w) => {
    const counts = new Map<string, number>();
    for (const c of w.calls) counts.set(c, (counts.get(c) ?? 0) + 1);
    return { atMs: w.atMs, calls: [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)) };
  });
}

async function idealCarousel(b: BenchApp, urls: string[], caption: string, dispatcher: Agent): Promise<void> {
  const base = `${b.emulator.urls.instagramGraph}/v24.0`;
  const headers = { authorization: `Bearer ${b.token}` };
  const post = async (path: string, form: Record<string, string>) => {
    const res = await request(`${base}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      dispatcher,
    });
    const body = JSON.parse(await res.body.text()) as { id?: string; error?: unknown };
    if (res.statusCode !== 200 || !body.id) throw new Error(`ideal POST ${path} failed: ${JSON.stringify(body)}`);
    return body.id;
  };
  const status = async (id: string) => {
    const res = await request(`${base}/${id}?fields=status_code`, { method: 'GET', headers, dispatcher });
    const body = JSON.parse(await res.body.text()) as { status_code?: string };
    return body.status_code;
  };
  const untilFinished = async (ids: string[]) => {
    let pending = ids;
    while (pending.length) {
      const codes = await Promise.all(pending.map(status));
      if (codes.some((c) => c === 'ERROR' || c === 'EXPIRED')) throw new Error('ideal: container failed');
      pending = pending.filter((_, i) => codes[i] !== 'FINISHED');
    }
  };
  const get = async (path: string) => {
    const res = await request(`${base}${path}`, { method: 'GET', headers, dispatcher });
    return JSON.parse(await res.body.text()) as Record<string, unknown>;
  };
  // The same calls the server makes (quota read, containers, a status read per container, publish,
  // permalink), each as early and as concurrently as the API allows.
  const [, children] = await Promise.all([
    get(`/${b.igUserId}/content_publishing_limit?fields=quota_usage,config`),
    Promise.all(urls.map((u) => post(`/${b.igUserId}/media`, { image_url: u, is_carousel_item: 'true' }))),
  ]);
  await untilFinished(children);
  const parent = await post(`/${b.igUserId}/media`, { media_type: 'CAROUSEL', children: children.join(','), caption });
  await untilFinished([parent]);
  const mediaId = await post(`/${b.igUserId}/media_publish`, { creation_id: parent });
  const media = await get(`/${mediaId}?fields=permalink,shortcode`);
  if (typeof media.permalink !== 'string') throw new Error('ideal: no permalink');
}

export async function benchCarousel(runs = 5, latencyMs = 100): Promise<CarouselResult> {
  const routes: Record<string, Buffer> = {};
  for (let i = 0; i < 10; i++) routes[`/c${i}.jpg`] = makeJpeg(1080, 1080, 40_000 + i);
  const files = await startFileServer(routes);
  const urls = Object.keys(routes).map((p) => files.url(p));
  const b = await startBenchApp({ emulator: { processing: { imageMs: 0, videoMs: 0 } } });
  const dispatcher = new Agent({ keepAliveTimeout: 4_000, connections: 16 });
  try {
    b.emulator.setLatency(latencyMs);
    const ours = async (i: number) => {
      b.emulator.clearLog();
      const t0 = performance.now();
      const r = await b.call('instagram_create_post', { media: urls, caption: `bench carousel ours ${i}`, wait_seconds: 300 });
      const elapsed = performance.now() - t0;
      if (r.isError || r.data?.state !== 'completed') throw new Error(`carousel not published: ${r.text}`);
      return { elapsed, log: b.emulator.requestLog() };
    };
    const ideal = async (i: number) => {
      b.emulator.clearLog();
      const t0 = performance.now();
      await idealCarousel(b, urls, `bench carousel ideal ${i}`, dispatcher);
      return { elapsed: performance.now() - t0, log: b.emulator.requestLog() };
    };
    // Warm both paths (connections, JIT) once.
    await ideal(-1);
    await ours(-1);
    const oursRuns: Array<{ elapsed: number; log: LoggedRequest[] }> = [];
    const idealRuns: Array<{ elapsed: number; log: LoggedRequest[] }> = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        idealRuns.push(await ideal(i));
        oursRuns.push(await ours(i));
      } else {
        oursRuns.push(await ours(i));
        idealRuns.push(await ideal(i));
      }
    }
    const oursMs = oursRuns.map((r) => r.elapsed);
    const idealMs = idealRuns.map((r) => r.elapsed);
    const oursMedianMs = median(oursMs);
    const idealMedianMs = median(idealMs);
    const medianRun = <T extends { elapsed: number }>(list: T[], m: number) => list.find((r) => r.elapsed === m) ?? list[0]!;
    const oursMedian = medianRun(oursRuns, oursMedianMs);
    const idealMedian = medianRun(idealRuns, idealMedianMs);
    const oursTimeline = waves(oursMedian.log, b.igUserId, latencyMs);
    const idealTimeline = waves(idealMedian.log, b.igUserId, latencyMs);
    return {
      runs,
      latencyMs,
      oursMedianMs,
      idealMedianMs,
      ratio: oursMedianMs / idealMedianMs,
      oursCalls: median(oursRuns.map((r) => graphCalls(r.log).length)),
      idealCalls: median(idealRuns.map((r) => graphCalls(r.log).length)),
      oursWaves: oursTimeline.length,
      idealWaves: idealTimeline.length,
      oursMs,
      idealMs,
      oursTimeline,
      idealTimeline,
    };
  } finally {
    await dispatcher.close();
    await b.close();
    await files.close();
  }
}

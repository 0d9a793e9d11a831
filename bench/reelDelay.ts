/**
 * Reel publish delay: clock time between the container turning FINISHED and the `media_publish` request
 * reaching the emulator, and how often the container was polled, over processing times of about 2, 5,
 * 10, 30 and 60 s. Runs on a VirtualClock shared by the server and the emulator (60 s of processing
 * takes milliseconds); every Graph request costs 100 ms of that clock (emulator latency).
 *
 * Real processing times are not round numbers, so a schedule polling at round instants would look
 * perfect at exactly 2.000 s: each nominal time P is run at 12 values spread over P ± 20 % by a
 * golden-ratio sequence (so they land at every phase of any polling period, not in step with it).
 *
 * Baselines, in the same run and the same way: "peer" clients that poll at a fixed interval (3 s and
 * 5 s, as peers do: read, and if not FINISHED sleep the interval) and publish as soon as they see
 * FINISHED — no quota check, no permalink read.
 */
import { Agent, request } from 'undici';
import { VirtualClock } from '../src/clock.js';
import type { LoggedRequest } from '../src/emulator/index.js';
import { pollAtMs } from '../src/services/publishing/index.js';
import { makeMp4, startFileServer } from '../tests/unit/emulator/fixtures.js';
import { median, startBenchApp, type BenchApp } from './setup.js';

export interface DelaySample {
  client: string;
  nominalMs: number;
  processingMs: number;
  delayMs: number;
  polls: number;
  /** Of the delay: until the status read that saw FINISHED was answered. */
  untilSeenMs: number;
  /** Of the delay: from that answer to the media_publish request (calls made in between). */
  afterSeenMs: number;
  callsBetween: string[];
}

export interface DelaySummary {
  client: string;
  medianDelayMs: number;
  maxDelayMs: number;
  minDelayMs: number;
  medianUntilSeenMs: number;
  medianAfterSeenMs: number;
  callsBetweenSeenAndPublish: string[];
  /** Status reads per second of processing: total reads / total processing seconds. */
  pollsPerProcessingSecond: number;
  perNominal: Array<{ nominalMs: number; medianDelayMs: number; maxDelayMs: number; medianPolls: number; pollsPerSecond: number }>;
}

export interface ReelDelayResult {
  latencyMs: number;
  nominalMs: number[];
  variantsPerNominal: number;
  ours: DelaySummary;
  peer3s: DelaySummary;
  peer5s: DelaySummary;
  /** Proposed: the server's schedule without the image-only early reads, no quota read before publishing. */
  whatIf: DelaySummary;
  /** ours median / peer-3s median. */
  ratio: number;
  samples: DelaySample[];
}

const NOMINAL_MS = [2000, 5000, 10_000, 30_000, 60_000];
const VARIANTS = 12;
const PHI = (Math.sqrt(5) - 1) / 2;

function variantsOf(nominal: number): number[] {
  return Array.from({ length: VARIANTS }, (_, k) => Math.round(nominal * (0.8 + 0.4 * ((0.5 + k * PHI) % 1))));
}

function measure(b: BenchApp, client: string, nominalMs: number, containerId: string, log: LoggedRequest[], latencyMs: number): DelaySample {
  const container = b.emulator.container(containerId);
  if (!container || container.processingStartedAt === null) throw new Error(`container ${containerId} never started processing`);
  const finishedAt = container.processingStartedAt + container.processingMs;
  const publish = log.find((r) => r.method === 'POST' && r.path.endsWith('/media_publish') && r.params['creation_id'] === containerId);
  if (!publish) throw new Error(`${client}: no media_publish for ${containerId}`);
  const reads = log.filter((r) => r.method === 'GET' && r.path === `/${containerId}` && r.time <= publish.time);
  // The emulator sleeps its latency before answering: the read's answer left at time + latency.
  const seenAt = reads[reads.length - 1]!.time + latencyMs;
  const callsBetween = log.filter((r) => r.time >= seenAt && r.time < publish.time && r !== publish).map((r) => `${r.method} ${r.path.replace(/\d{6,}/g, '{id}')}`);
  return {
    client,
    nominalMs,
    processingMs: container.processingMs,
    delayMs: publish.time - finishedAt,
    polls: reads.length,
    untilSeenMs: seenAt - finishedAt,
    afterSeenMs: publish.time - seenAt,
    callsBetween,
  };
}

/**
 * When to read the container: a fixed interval (peers, reading at once and then every interval), or —
 * "what if" — the server's own schedule (`pollAtMs`) without the reads at 0, 250, 500 and 1000 ms
 * (first read at 2 s: a video is never ready sooner), publishing right after FINISHED without the quota
 * read the server makes first. This measures a proposed change, not the product.
 */
type Schedule = { intervalMs: number } | { whatIf: true };

async function peerReel(b: BenchApp, clock: VirtualClock, videoUrl: string, schedule: Schedule, dispatcher: Agent): Promise<string> {
  const base = `${b.emulator.urls.instagramGraph}/v24.0`;
  const headers = { authorization: `Bearer ${b.token}` };
  const post = async (path: string, form: Record<string, string>) => {
    const res = await request(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), dispatcher });
    const body = JSON.parse(await res.body.text()) as { id?: string };
    if (!body.id) throw new Error(`peer POST ${path} failed: ${JSON.stringify(body)}`);
    return body.id;
  };
  const id = await post(`/${b.igUserId}/media`, { media_type: 'REELS', video_url: videoUrl, caption: 'peer reel' });
  const start = clock.now();
  for (let n = 0; ; n++) {
    if ('whatIf' in schedule) await clock.sleep(Math.max(0, pollAtMs(n + 4) - (clock.now() - start)));
    const res = await request(`${base}/${id}?fields=status_code`, { method: 'GET', headers, dispatcher });
    const { status_code } = JSON.parse(await res.body.text()) as { status_code?: string };
    if (status_code === 'FINISHED') break;
    if (status_code === 'ERROR' || status_code === 'EXPIRED') throw new Error(`peer: container ${status_code}`);
    if ('intervalMs' in schedule) await clock.sleep(schedule.intervalMs);
  }
  await post(`/${b.igUserId}/media_publish`, { creation_id: id });
  return id;
}

function summarize(client: string, samples: DelaySample[]): DelaySummary {
  const mine = samples.filter((s) => s.client === client);
  const delays = mine.map((s) => s.delayMs);
  const pollsPerSecond = (list: DelaySample[]) => list.reduce((n, s) => n + s.polls, 0) / (list.reduce((n, s) => n + s.processingMs, 0) / 1000);
  return {
    client,
    medianDelayMs: median(delays),
    maxDelayMs: Math.max(...delays),
    minDelayMs: Math.min(...delays),
    medianUntilSeenMs: median(mine.map((s) => s.untilSeenMs)),
    medianAfterSeenMs: median(mine.map((s) => s.afterSeenMs)),
    callsBetweenSeenAndPublish: [...new Set(mine.flatMap((s) => s.callsBetween))],
    pollsPerProcessingSecond: pollsPerSecond(mine),
    perNominal: NOMINAL_MS.map((nominalMs) => {
      const group = mine.filter((s) => s.nominalMs === nominalMs);
      return {
        nominalMs,
        medianDelayMs: median(group.map((s) => s.delayMs)),
        maxDelayMs: Math.max(...group.map((s) => s.delayMs)),
        medianPolls: median(group.map((s) => s.polls)),
        pollsPerSecond: pollsPerSecond(group),
      };
    }),
  };
}

export async function benchReelDelay(latencyMs = 100): Promise<ReelDelayResult> {
  const clock = new VirtualClock();
  const files = await startFileServer({ '/reel.mp4': makeMp4(20, 64 * 1024) });
  const b = await startBenchApp({ clock, emulator: { latencyMs, processing: { imageMs: 0, videoMs: 5000 } } });
  const dispatcher = new Agent({ keepAliveTimeout: 4_000 });
  const samples: DelaySample[] = [];
  try {
    const videoUrl = files.url('/reel.mp4');
    for (const nominalMs of NOMINAL_MS) {
      for (const processingMs of variantsOf(nominalMs)) {
        b.emulator.setProcessingTime('video', processingMs);

        b.emulator.clearLog();
        const r = await b.call('instagram_create_reel', { video: videoUrl, caption: `bench reel ${processingMs}`, wait_seconds: 900 });
        if (r.isError || r.data?.state !== 'completed') throw new Error(`reel not published: ${r.text}`);
        samples.push(measure(b, 'ours', nominalMs, r.data.container_id as string, b.emulator.requestLog(), latencyMs));

        for (const [client, schedule] of [['peer 3s', { intervalMs: 3000 }], ['peer 5s', { intervalMs: 5000 }], ['what-if', { whatIf: true }]] as const) {
          b.emulator.clearLog();
          const id = await peerReel(b, clock, videoUrl, schedule, dispatcher);
          samples.push(measure(b, client, nominalMs, id, b.emulator.requestLog(), latencyMs));
        }
      }
    }
  } finally {
    await dispatcher.close();
    await b.close();
    await files.close();
  }
  const ours = summarize('ours', samples);
  const peer3s = summarize('peer 3s', samples);
  const peer5s = summarize('peer 5s', samples);
  const whatIf = summarize('what-if', samples);
  return { latencyMs, nominalMs: NOMINAL_MS, variantsPerNominal: VARIANTS, ours, peer3s, peer5s, whatIf, ratio: ours.medianDelayMs / peer3s.medianDelayMs, samples };
}

/**
 * Benchmarks beyond cold start, each in its own module, each a ratio against a baseline measured side
 * by side in this run: tool-call overhead, carousel publishing, reel publish delay, upload memory,
 * HTTP load, scheduled publishing, the performance report, hosted mode. Select some with
 * `tsx bench/run.ts tool-overhead carousel reel-delay upload-rss http-load scheduled scheduled-scale report hosted`.
 */
import { benchCarousel } from './carousel.js';
import { benchHttpLoad } from './httpLoad.js';
import { benchReelDelay } from './reelDelay.js';
import { benchReport } from './report.js';
import { benchScheduled } from './scheduled.js';
import { ms, ratioText } from './setup.js';
import { benchToolOverhead } from './toolOverhead.js';
import { benchUploadRss } from './uploadRss.js';

export interface BenchRow {
  benchmark: string;
  measured: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | null;
}

const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

export async function runMore(want: (name: string) => boolean, rows: BenchRow[], results: Record<string, unknown>): Promise<void> {
  if (want('tool-overhead')) {
    const r = await benchToolOverhead(100, 20);
    results.toolOverhead = r;
    rows.push({
      benchmark: 'tool call instagram_get_posts (20 ms latency)',
      measured: `${ms(r.toolMedianMs, 1)}, ${r.graphCallsPerToolCall} Graph call`,
      baseline: `${ms(r.rawMedianMs, 1)} (raw Graph GET)`,
      ratio: ratioText(r.ratio),
      goal: '≤ 1.2x',
      met: r.ratio <= 1.2,
    });
  }

  if (want('carousel')) {
    const r = await benchCarousel(7, 100);
    results.carousel = r;
    rows.push({
      benchmark: 'carousel of 10 images (100 ms latency)',
      measured: `${ms(r.oursMedianMs)}, ${r.oursCalls} calls, ${r.oursWaves} round trips`,
      baseline: `${ms(r.idealMedianMs)}, ${r.idealCalls} calls, ${r.idealWaves} round trips (ideal client)`,
      ratio: ratioText(r.ratio),
      goal: '≤ 1.2x, calls ≤ ideal',
      met: r.ratio <= 1.2 && r.oursCalls <= r.idealCalls,
    });
  }

  if (want('reel-delay')) {
    const r = await benchReelDelay(100);
    results.reelDelay = r;
    rows.push({
      benchmark: 'reel FINISHED → publish (2–60 s processing)',
      measured: `median ${s(r.ours.medianDelayMs)} (max ${s(r.ours.maxDelayMs)}), ${r.ours.pollsPerProcessingSecond.toFixed(2)} polls/s`,
      baseline: `median ${s(r.peer3s.medianDelayMs)} (max ${s(r.peer3s.maxDelayMs)}), ${r.peer3s.pollsPerProcessingSecond.toFixed(2)} polls/s (peer, fixed 3 s)`,
      ratio: ratioText(r.ratio),
      goal: 'median < 1 s, ≤ 0.5 polls/s',
      met: r.ours.medianDelayMs < 1000 && r.ours.pollsPerProcessingSecond <= 0.5,
    });
  }

  if (want('upload-rss')) {
    const r = await benchUploadRss();
    results.uploadRss = r;
    const gib = r.cases.find((c) => c.totalBytes >= 1024 * 1024 * 1024) ?? r.cases[r.cases.length - 1]!;
    const single = r.cases.find((c) => c !== gib);
    const completed = r.cases.every((c) => c.state === 'completed');
    rows.push({
      benchmark: 'peak RSS, 1 GiB resumable upload (4 × 256 MiB)',
      measured: `+${r.worstAboveIdleMb.toFixed(0)} MB (peak ${gib.peakRssMb.toFixed(0)} MB${single ? `; 300 MiB reel +${single.aboveIdleMb.toFixed(0)} MB` : ''})`,
      baseline: `${r.idleRssMb.toFixed(0)} MB (idle server)`,
      ratio: ratioText(Math.max(...r.cases.map((c) => c.peakRssMb)) / r.idleRssMb),
      goal: '< 150 MB above idle',
      met: completed && r.worstAboveIdleMb < 150,
    });
  }

  if (want('report')) {
    const r = await benchReport(1000);
    results.report = r;
    rows.push({
      benchmark: `performance report, 90 days, ${r.posts}-post account (20 ms latency)`,
      measured: `${s(r.withChartsMs)} with ${r.charts} charts (${s(r.withoutChartsMs)} without), ${r.graphCalls} Graph calls; peak RSS +${r.peakAboveIdleMb.toFixed(0)} MB (${r.peakRssMb.toFixed(0)} MB)`,
      baseline: `${ms(r.oneInsightsMs)} (instagram_get_insights of one post)`,
      ratio: `${ratioText(r.withChartsMs / r.oneInsightsMs)} (${(r.withChartsMs / r.graphCalls).toFixed(1)} ms per Graph call)`,
      goal: '-',
      met: null,
    });
  }

  if (want('scheduled')) {
    const r = await benchScheduled(200);
    results.scheduled = r;
    rows.push({
      benchmark: `scheduled: ${r.posts} posts over ${r.accounts} accounts, virtual clock`,
      measured: `${r.published} published, ${r.duplicates} twice; late p50 ${ms(r.lateP50Ms)}, p99 ${ms(r.lateP99Ms)}, max ${ms(r.lateMaxMs)}`,
      baseline: 'publish_at',
      ratio: '-',
      goal: 'all once, p99 ≤ 2000 ms',
      met: r.published === r.posts && r.duplicates === 0 && r.lateP99Ms <= 2000,
    });
  }

  if (want('hosted')) {
    const { benchHostedSessions } = await import('./hosted.js');
    const r = await benchHostedSessions();
    results.hosted = r;
    if (r.skipped) rows.push({ benchmark: 'hosted: concurrent sessions', measured: `skipped: ${r.skipped}`, baseline: '-', ratio: '-', goal: '-', met: null });
    const embedded = r.modes.find((m) => m.label.startsWith('embedded'));
    for (const m of r.modes) {
      rows.push({
        benchmark: `${r.sessions} sessions × ${r.callsPerSession} instagram_accounts: ${m.label}`,
        measured: `${m.errors} errors, p50 ${ms(m.p50Ms, 1)}, p99 ${ms(m.p99Ms)}`,
        baseline: embedded && m !== embedded ? `embedded p50 ${ms(embedded.p50Ms, 1)}, p99 ${ms(embedded.p99Ms)}` : '-',
        ratio: embedded && m !== embedded ? `${ratioText(m.p50Ms / embedded.p50Ms)} (p99 ${ratioText(m.p99Ms / embedded.p99Ms)})` : '-',
        goal: '0 errors',
        met: m.errors === 0,
      });
    }
  }

  if (want('scheduled-scale')) {
    const { benchScheduledScale } = await import('./scheduledScale.js');
    const r = await benchScheduledScale();
    results.scheduledScale = r;
    if (r.skipped) rows.push({ benchmark: 'scheduled at scale: hosted mode', measured: `skipped: ${r.skipped}`, baseline: '-', ratio: '-', goal: '-', met: null });
    const embedded = r.modes.find((m) => m.label.startsWith('embedded'));
    for (const m of r.modes) {
      rows.push({
        benchmark: `scheduled: ${r.posts} posts, ${r.accounts} accounts, ${r.owners} owners, virtual clock: ${m.label}`,
        measured: `${m.published} published, ${m.duplicates} twice; late p50 ${ms(m.lateP50Ms)}, p99 ${ms(m.lateP99Ms)}, max ${ms(m.lateMaxMs)}; scheduling ${ms(m.schedulingMs)}, the day ${ms(m.runMs)}, peak RSS ${m.peakRssMb.toFixed(0)} MB`,
        baseline: embedded && m !== embedded ? `embedded late p99 ${ms(embedded.lateP99Ms)}, scheduling ${ms(embedded.schedulingMs)}` : 'publish_at',
        ratio: embedded && m !== embedded ? `scheduling ${ratioText(m.schedulingMs / embedded.schedulingMs)}, the day ${ratioText(m.runMs / embedded.runMs)}` : '-',
        goal: 'all once, p99 ≤ 2000 ms',
        met: m.published === r.posts && m.duplicates === 0 && m.lateP99Ms <= 2000,
      });
    }
  }

  if (want('http-load')) {
    const r = await benchHttpLoad(50, 20, 3);
    results.httpLoad = r;
    rows.push({
      benchmark: `HTTP: ${r.sessions} sessions × ${r.callsPerSession} calls (×${r.rounds} rounds)`,
      measured: `${r.ours.errors} errors, p50 ${ms(r.ours.p50Ms, 1)}, p99 ${ms(r.ours.p99Ms)}`,
      baseline: `${r.baseline.errors} errors, p50 ${ms(r.baseline.p50Ms, 1)}, p99 ${ms(r.baseline.p99Ms)} (minimal SDK server)`,
      ratio: `${ratioText(r.p50Ratio)} (p99 ${ratioText(r.p99Ratio)})`,
      goal: '0 errors',
      met: r.ours.errors === 0,
    });
  }
}

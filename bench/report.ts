/**
 * The performance report of a 1,000-post account over 90 days (real time, 20 ms emulator latency per
 * request): time to answer with charts and without, the Graph calls it makes, and the process's peak
 * RSS above idle while it answers (sampled every 5 ms; the emulator runs in the same process).
 * Side by side: instagram_get_insights of one post, the single call a report is made of many times.
 */
import { seedHistory } from '../src/emulator/history.js';
import { graphCalls, median, startBenchApp } from './setup.js';

export interface ReportBenchResult {
  posts: number;
  withChartsMs: number;
  withoutChartsMs: number;
  oneInsightsMs: number;
  graphCalls: number;
  charts: number;
  idleRssMb: number;
  peakRssMb: number;
  peakAboveIdleMb: number;
  resultBytes: number;
}

const mb = (bytes: number) => bytes / (1024 * 1024);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value, peakRss: Math.max(peakRss, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

export async function benchReport(posts = 1000, runs = 3, latencyMs = 20): Promise<ReportBenchResult> {
  const b = await startBenchApp({ emulator: { latencyMs } });
  try {
    seedHistory(b.emulator.state, b.igUserId, { days: 90, perDay: posts / 90 });
    const postId = b.emulator.state.feedMedia(b.igUserId)[0]!.id;
    const one: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await timed(() => b.call('instagram_get_insights', { media_id: postId }));
      if (r.value.isError) throw new Error(r.value.text);
      one.push(r.ms);
    }
    // Warm-up (loads ECharts and resvg once), then the measured runs.
    await b.call('instagram_performance_report', { period: '90d' });
    globalThis.gc?.();
    const idleRss = process.memoryUsage().rss;
    const withCharts: number[] = [];
    const without: number[] = [];
    let peakRss = idleRss;
    let calls = 0;
    let charts = 0;
    let resultBytes = 0;
    for (let i = 0; i < runs; i++) {
      b.emulator.clearLog();
      const r = await timed(() => b.call('instagram_performance_report', { period: '90d' }));
      if (r.value.isError) throw new Error(r.value.text);
      calls = graphCalls(b.emulator.requestLog()).length;
      charts = (r.value.data.charts as unknown[]).length;
      resultBytes = JSON.stringify(r.value.data).length;
      withCharts.push(r.ms);
      peakRss = Math.max(peakRss, r.peakRss);
      const n = await timed(() => b.call('instagram_performance_report', { period: '90d', charts: false }));
      without.push(n.ms);
      peakRss = Math.max(peakRss, n.peakRss);
    }
    const count = b.emulator.state.feedMedia(b.igUserId).length;
    return {
      posts: count,
      withChartsMs: median(withCharts),
      withoutChartsMs: median(without),
      oneInsightsMs: median(one),
      graphCalls: calls,
      charts,
      idleRssMb: mb(idleRss),
      peakRssMb: mb(peakRss),
      peakAboveIdleMb: mb(peakRss - idleRss),
      resultBytes,
    };
  } finally {
    await b.close();
  }
}

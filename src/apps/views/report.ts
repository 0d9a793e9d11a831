/**
 * The performance report as an interactive dashboard (MCP Apps view of instagram_performance_report).
 * It draws the tool result the host hands over; switching the metric or the account redraws from that
 * result, and switching the period asks the server again through the host (`tools/call` of the same
 * tool, without charts), so the person explores without another turn of the conversation.
 * ECharts draws with its SVG renderer (hover shows values).
 */
import type { App } from '@modelcontextprotocol/ext-apps';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { addStyle, BASE_CSS, connectApp, el } from './common.js';

echarts.use([LineChart, BarChart, HeatmapChart, GridComponent, TitleComponent, TooltipComponent, VisualMapComponent, SVGRenderer]);

const TOOL = 'instagram_performance_report';

interface Change {
  current: number | null;
  previous: number | null;
  change: number | null;
}
interface ReportPost {
  id: string;
  format: string;
  published_at: string;
  local_weekday: string;
  local_hour: number;
  reach: number | null;
  engagement_rate: number | null;
}
interface AccountReport {
  account: { id: string; username: string };
  followers: { current: number | null; gained: number | null };
  totals: { reach: Change; views: Change; interactions: Change; posts: Change; engagement_rate: Change };
  daily: Array<{ date: string; reach: number | null; views: number | null; new_followers: number | null }>;
  posts: ReportPost[];
  online_grid: Array<Array<number | null>> | null;
  best_hours: Array<{ weekday: string; hour: number; online_followers: number }>;
}
interface Report {
  time_zone: string;
  period: { label: string; since: string; until: string; days: number };
  accounts: AccountReport[];
}

type Metric = 'reach' | 'views' | 'new_followers' | 'engagement' | 'best_hours';
const METRICS: Array<[Metric, string]> = [
  ['reach', 'Reach'],
  ['views', 'Views'],
  ['new_followers', 'New followers'],
  ['engagement', 'Engagement rate'],
  ['best_hours', 'Best hours'],
];
const PERIODS = ['7d', '30d', '90d'] as const;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const state: { report: Report | null; metric: Metric; account: number; period: string; loading: boolean } = {
  report: null,
  metric: 'reach',
  account: 0,
  period: '30d',
  loading: false,
};

addStyle(`${BASE_CSS}
#chart { width: 100%; height: 340px; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px; margin: 8px 0; }
.total { border: 1px solid var(--line); border-radius: 8px; padding: 6px 8px; }
.total b { display: block; font-size: 18px; }
.up { color: #2f9e6e; } .down { color: #c0392b; }
`);

const accountSelect = el('select', { id: 'account', 'aria-label': 'Account' });
const periodRow = el('div', { class: 'row', id: 'periods', role: 'group', 'aria-label': 'Period' });
const metricRow = el('div', { class: 'row', id: 'metrics', role: 'group', 'aria-label': 'Metric' });
const heading = el('div', { id: 'heading', class: 'muted' });
const totals = el('div', { class: 'totals', id: 'totals' });
const chartBox = el('div', { id: 'chart', 'data-metric': state.metric });
const status = el('div', { class: 'status', id: 'status', role: 'status' }, 'Waiting for the report…');
document.body.append(el('div', { class: 'row' }, accountSelect, periodRow), metricRow, heading, totals, chartBox, status);

const chart = echarts.init(chartBox, undefined, { renderer: 'svg' });
new ResizeObserver(() => chart.resize()).observe(chartBox);

let app: App | undefined;

for (const [metric, label] of METRICS) {
  const button = el('button', { 'data-metric': metric, 'aria-pressed': String(metric === state.metric) }, label);
  button.addEventListener('click', () => {
    state.metric = metric;
    render();
  });
  metricRow.append(button);
}
for (const period of PERIODS) {
  const button = el('button', { 'data-period': period, 'aria-pressed': String(period === state.period) }, period);
  button.addEventListener('click', () => void loadPeriod(period));
  periodRow.append(button);
}
accountSelect.addEventListener('change', () => {
  state.account = Number(accountSelect.value);
  render();
});

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const signed = (v: number | null) => (v === null ? '' : `${v >= 0 ? '▲' : '▼'} ${Math.abs(v * 100).toFixed(1)}%`);

function renderTotals(a: AccountReport): void {
  const cell = (label: string, value: string, change: number | null) =>
    el('div', { class: 'total' }, label, el('b', {}, value), el('span', { class: change === null ? 'muted' : change >= 0 ? 'up' : 'down' }, signed(change) || 'no earlier data'));
  totals.replaceChildren(
    cell('Reach', String(a.totals.reach.current ?? 'n/a'), a.totals.reach.change),
    cell('Views', String(a.totals.views.current ?? 'n/a'), a.totals.views.change),
    cell('Interactions', String(a.totals.interactions.current ?? 'n/a'), a.totals.interactions.change),
    cell('Engagement', pct(a.totals.engagement_rate.current), a.totals.engagement_rate.change),
    cell('Followers', `${a.followers.current ?? 'n/a'}`, null),
  );
}

function optionFor(a: AccountReport, metric: Metric): echarts.EChartsCoreOption {
  const base = { animation: false, tooltip: { trigger: metric === 'best_hours' ? 'item' : 'axis' }, grid: { left: 56, right: 24, top: 40, bottom: 40 } };
  const title = (text: string) => ({ text, left: 'center', textStyle: { fontSize: 14, fontWeight: 'normal' } });
  if (metric === 'engagement') {
    const posts = [...a.posts].sort((x, y) => x.published_at.localeCompare(y.published_at));
    return {
      ...base,
      title: title(`Engagement rate per post, @${a.account.username}`),
      xAxis: { type: 'category', data: posts.map((p) => `${p.published_at.slice(0, 10)} ${p.format.toLowerCase()}`), axisLabel: { hideOverlap: true, formatter: (v: string) => v.slice(5, 10) } },
      yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
      series: [{ type: 'bar', name: 'engagement rate', data: posts.map((p) => (p.engagement_rate === null ? null : Math.round(p.engagement_rate * 1000) / 10)) }],
    };
  }
  if (metric === 'best_hours') {
    const grid = a.online_grid ?? [];
    const data = grid.flatMap((row, d) => row.map((v, h) => [h, d, v ?? 0]));
    const max = Math.max(1, ...data.map((c) => Number(c[2])));
    return {
      ...base,
      title: title(grid.length ? `Followers online by local hour, @${a.account.username}` : 'No online-followers data for this account'),
      grid: { left: 56, right: 24, top: 40, bottom: 72 },
      xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => String(h)), splitArea: { show: true } },
      yAxis: { type: 'category', data: WEEKDAYS, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 4, itemHeight: 120 },
      series: [{ type: 'heatmap', name: 'followers online', data }],
    };
  }
  const label = METRICS.find(([m]) => m === metric)![1];
  return {
    ...base,
    title: title(`${label} per day, @${a.account.username}`),
    xAxis: { type: 'category', data: a.daily.map((d) => d.date), boundaryGap: metric === 'new_followers', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value' },
    series: [{ type: metric === 'new_followers' ? 'bar' : 'line', name: label.toLowerCase(), showSymbol: false, data: a.daily.map((d) => d[metric]) }],
  };
}

function render(): void {
  for (const b of metricRow.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.metric === state.metric));
  for (const b of periodRow.querySelectorAll('button')) {
    b.setAttribute('aria-pressed', String(b.dataset.period === state.period));
    (b as HTMLButtonElement).disabled = state.loading;
  }
  const report = state.report;
  if (!report) return;
  if (report.accounts.length === 0) {
    status.textContent = 'No connected account to report on.';
    chart.clear();
    return;
  }
  state.account = Math.min(state.account, report.accounts.length - 1);
  const a = report.accounts[state.account]!;
  heading.textContent = `${report.period.since.slice(0, 10)} – ${report.period.until.slice(0, 10)} (${report.period.days} days, ${report.time_zone}), against the ${report.period.days} days before`;
  renderTotals(a);
  chart.setOption(optionFor(a, state.metric), { notMerge: true });
  chartBox.dataset.metric = state.metric;
  chartBox.dataset.account = a.account.username;
  chartBox.dataset.period = report.period.label;
  if (!state.loading) status.textContent = 'Hover the chart for values.';
}

function setReport(report: Report): void {
  state.report = report;
  if (PERIODS.includes(report.period.label as (typeof PERIODS)[number]) || report.period.label === 'custom') state.period = report.period.label;
  const current = accountSelect.value;
  accountSelect.replaceChildren(...report.accounts.map((a, i) => el('option', { value: String(i) }, `@${a.account.username}`)));
  const keep = report.accounts.findIndex((a) => `@${a.account.username}` === current);
  state.account = keep >= 0 ? keep : 0;
  accountSelect.value = String(state.account);
  accountSelect.hidden = report.accounts.length < 2;
  render();
}

function reportOf(result: { structuredContent?: Record<string, unknown>; isError?: boolean; content?: Array<{ type: string; text?: string }> }): Report | string {
  if (result.isError || !result.structuredContent) return result.content?.find((c) => c.type === 'text')?.text?.split('\n')[0] ?? 'The report failed.';
  return result.structuredContent as unknown as Report;
}

async function loadPeriod(period: string): Promise<void> {
  if (!app || state.loading || period === state.period) return;
  const a = state.report?.accounts[state.account];
  const previous = state.period;
  state.loading = true;
  state.period = period;
  status.textContent = `Loading ${period}…`;
  render();
  try {
    const result = await app.callServerTool({ name: TOOL, arguments: { period, charts: false, ...(state.report && state.report.accounts.length === 1 && a ? { account: a.account.username } : {}) } });
    const report = reportOf(result);
    state.loading = false;
    if (typeof report === 'string') {
      state.period = previous;
      render();
      status.textContent = report;
    } else setReport(report);
  } catch (err) {
    state.loading = false;
    state.period = previous;
    status.textContent = `Could not load ${period}: ${err instanceof Error ? err.message : String(err)}`;
    render();
  }
}

void connectApp('instagram-mcp performance report', (created) => {
  app = created;
  created.ontoolinput = ({ arguments: args }) => {
    if (typeof args?.period === 'string') state.period = args.period;
  };
  created.ontoolresult = (result) => {
    const report = reportOf(result);
    if (typeof report === 'string') status.textContent = report;
    else setReport(report);
  };
}).catch((err: unknown) => {
  status.textContent = `Could not connect to the host: ${err instanceof Error ? err.message : String(err)}`;
});

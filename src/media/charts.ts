/**
 * Charts rendered on the server, without a browser: Apache ECharts' server-side SVG renderer, turned
 * into PNG by resvg with one font shipped through npm (DejaVu Sans, loaded by file path, no system
 * fonts), so the text reads the same on a fresh machine. ECharts and resvg are imported on first use:
 * a server that never draws a chart never loads them.
 */
import { createRequire } from 'node:module';

const FONT_FAMILY = 'DejaVu Sans';
const PALETTE = ['#3b6fd8', '#e0703a', '#2f9e6e', '#9b59b6', '#c0392b'];

export interface ChartPng {
  /** File-name friendly: reach_views, followers, best_hours, top_posts. */
  name: string;
  title: string;
  png: Buffer;
  width: number;
  height: number;
}

export interface LineSeries {
  name: string;
  values: ReadonlyArray<number | null>;
}

export interface LineChartSpec {
  name: string;
  title: string;
  /** One label per point (dates). */
  labels: readonly string[];
  series: readonly LineSeries[];
  /** A bar per point instead of a line (for daily counts). */
  bars?: boolean;
}

export interface HeatmapSpec {
  name: string;
  title: string;
  /** Row labels, top to bottom (weekdays). */
  rows: readonly string[];
  /** values[row][column], 24 columns (hours 0–23). */
  values: ReadonlyArray<ReadonlyArray<number>>;
}

export interface BarChartSpec {
  name: string;
  title: string;
  labels: readonly string[];
  values: readonly number[];
  /** Axis name under the values, e.g. "engagement rate %". */
  valueName: string;
}

export type ChartSpec = ({ kind: 'line' } & LineChartSpec) | ({ kind: 'heatmap' } & HeatmapSpec) | ({ kind: 'bar' } & BarChartSpec);

const WIDTH = 960;
const HEIGHT = 480;

function fontFile(): string {
  return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
}

function baseOption(title: string): Record<string, unknown> {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    color: PALETTE,
    textStyle: { fontFamily: FONT_FAMILY },
    title: { text: title, left: 'center', top: 12, textStyle: { fontFamily: FONT_FAMILY, fontSize: 18, fontWeight: 'normal' } },
  };
}

function optionFor(spec: ChartSpec): Record<string, unknown> {
  const text = { fontFamily: FONT_FAMILY, fontSize: 12 };
  if (spec.kind === 'line') {
    return {
      ...baseOption(spec.title),
      legend: { top: 44, itemGap: 40, textStyle: text },
      grid: { left: 70, right: 56, top: 84, bottom: 56 },
      xAxis: { type: 'category', data: [...spec.labels], axisLabel: { ...text, hideOverlap: true }, boundaryGap: Boolean(spec.bars) },
      yAxis: { type: 'value', axisLabel: text, scale: !spec.bars },
      series: spec.series.map((s) =>
        spec.bars ? { name: s.name, type: 'bar', data: [...s.values] } : { name: s.name, type: 'line', data: [...s.values], showSymbol: false, connectNulls: false, lineStyle: { width: 2 } },
      ),
    };
  }
  if (spec.kind === 'heatmap') {
    const data: Array<[number, number, number]> = [];
    let max = 0;
    spec.values.forEach((row, r) =>
      row.forEach((v, h) => {
        data.push([h, r, Math.round(v)]);
        max = Math.max(max, v);
      }),
    );
    return {
      ...baseOption(spec.title),
      grid: { left: 70, right: 30, top: 60, bottom: 96 },
      xAxis: { type: 'category', name: 'hour', nameLocation: 'middle', nameGap: 28, nameTextStyle: text, data: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')), axisLabel: text, splitArea: { show: true } },
      yAxis: { type: 'category', data: [...spec.rows], inverse: true, axisLabel: text, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, Math.round(max)), calculable: false, text: [`${Math.round(max)} online`, '0'], itemGap: 12, orient: 'horizontal', left: 'center', bottom: 8, itemHeight: 240, textStyle: text, inRange: { color: ['#f4f7fd', '#9db8ec', '#3b6fd8', '#16336e'] } },
      series: [{ type: 'heatmap', data, label: { show: false } }],
    };
  }
  return {
    ...baseOption(spec.title),
    grid: { left: 220, right: 60, top: 60, bottom: 50 },
    xAxis: { type: 'value', name: spec.valueName, nameLocation: 'middle', nameGap: 30, nameTextStyle: text, axisLabel: text },
    yAxis: { type: 'category', data: [...spec.labels], inverse: true, axisLabel: { ...text, width: 200, overflow: 'truncate' } },
    series: [{ type: 'bar', data: [...spec.values], label: { show: true, position: 'right', ...text } }],
  };
}

/** Renders each chart to a PNG (960 × 480). */
export async function renderCharts(specs: readonly ChartSpec[]): Promise<ChartPng[]> {
  if (!specs.length) return [];
  const [echarts, { Resvg }] = await Promise.all([import('echarts'), import('@resvg/resvg-js')]);
  const font = { loadSystemFonts: false, fontFiles: [fontFile()], defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
  return specs.map((spec) => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
    let svg: string;
    try {
      chart.setOption(optionFor(spec));
      svg = chart.renderToSVGString();
    } finally {
      chart.dispose();
    }
    const rendered = new Resvg(svg, { font, background: '#ffffff', fitTo: { mode: 'original' } }).render();
    return { name: spec.name, title: spec.title, png: rendered.asPng(), width: rendered.width, height: rendered.height };
  });
}

/**
 * `npm run bench`: every figure a ratio against a baseline measured side by side in this run.
 * Prints a table and writes bench/results.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchColdStart } from './coldStart.js';
import { benchListingSize } from './listingSize.js';

interface Row {
  benchmark: string;
  measured: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | null;
}

async function main() {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const rows: Row[] = [];
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };

  if (want('cold-start')) {
    const r = await benchColdStart();
    results.coldStart = r;
    rows.push({ benchmark: 'cold start → tools/list', measured: `${r.serverMs.toFixed(0)} ms`, baseline: `${r.baselineMs.toFixed(0)} ms (minimal SDK server)`, ratio: `${r.ratio.toFixed(2)}x`, goal: '≤ 1.3x', met: r.ratio <= 1.3 });
  }

  if (want('listing')) {
    const r = await benchListingSize();
    results.listing = r;
    rows.push({ benchmark: `tools/list bytes (${r.tools} tools)`, measured: `${r.toolsListBytes} B`, baseline: '70006 B before the contract issue', ratio: `${(r.toolsListBytes / 70006).toFixed(2)}x`, goal: '≤ 25000 B', met: r.toolsListBytes <= 25_000 });
    rows.push({ benchmark: 'instructions bytes', measured: `${r.instructionsBytes} B`, baseline: '-', ratio: '-', goal: '-', met: null });
  }

  const { runMore } = await import('./more.js');
  await runMore(want, rows, results);

  const widths = ['benchmark', 'measured', 'baseline', 'ratio', 'goal', 'met'].map((k) => Math.max(k.length, ...rows.map((r) => String(r[k as keyof Row]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(['benchmark', 'measured', 'baseline', 'ratio', 'goal', 'met']));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line([r.benchmark, r.measured, r.baseline, r.ratio, r.goal, r.met === null ? '-' : r.met ? 'yes' : 'no']));
  // A run of some figures keeps the others from the last run, each row marked with its run's date.
  const file = path.join(import.meta.dirname, 'results.json');
  const dated = rows.map((r) => ({ ...r, date: results.date }));
  let merged: Record<string, unknown> = { ...results, table: dated };
  if (only.length > 0 && existsSync(file)) {
    const previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { table?: Array<Row & { date?: string }> };
    const kept = (previous.table ?? []).filter((old) => !rows.some((r) => r.benchmark === old.benchmark)).map((old) => ({ ...old, date: old.date ?? (previous.date as string) }));
    merged = { ...previous, ...results, table: [...kept, ...dated] };
  }
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

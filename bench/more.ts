/** Benchmarks beyond cold start (publishing, tool overhead, upload memory, HTTP load) register here. */
export interface BenchRow {
  benchmark: string;
  measured: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | null;
}

export async function runMore(_want: (name: string) => boolean, _rows: BenchRow[], _results: Record<string, unknown>): Promise<void> {}

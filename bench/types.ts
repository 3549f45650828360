// What every benchmark returns; bench/run.ts writes them to bench/results/<name>.json.
export interface BenchResult {
  name: string;
  /** Figures, each with its unit in the key: `records_per_s`, `ms_per_scrape`, `ratio_vs_raw`, `cpu_s_per_million`. */
  metrics: Record<string, number>;
  /** What was measured against what, and anything that qualifies the figures. */
  notes?: string[];
}

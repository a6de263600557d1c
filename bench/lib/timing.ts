/** Times of repeated operations, run a given number at once. */
export interface TimingStats {
  /** Per operation, nearest rank (with few operations p99 is the slowest). */
  p50: number;
  p99: number;
  perSecond: number;
  /** `bytes` per operation × operations / wall time, in MiB/s (NaN without `bytes`). */
  mibPerSecond: number;
}

export interface Timings {
  times: number[];
  wallMs: number;
  stats: (bytes?: number) => TimingStats;
}

export async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Nearest-rank percentile (p in 0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs `fn(0)` … `fn(count - 1)`, `concurrency` at a time, timing each and the whole. */
export async function timings(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Timings> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        times.push(await timed(() => fn(i)));
      }
    }),
  );
  const wallMs = performance.now() - started;
  return {
    times,
    wallMs,
    stats: (bytes = NaN) => ({
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      perSecond: count / (wallMs / 1000),
      mibPerSecond: (bytes * count) / (1024 * 1024) / (wallMs / 1000),
    }),
  };
}

// Small statistics the report needs: percentiles of recorded latencies, a least-squares line.

/** The p-th percentile (0..100) of `values`, linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  if (sorted.length === 1) return sorted[0]!;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface LinearFit {
  /** Units of y per unit of x. */
  slope: number;
  intercept: number;
  /** Coefficient of determination (0..1); NaN when y is constant. */
  r2: number;
  n: number;
}

/** Ordinary least squares of y on x. */
export function linearFit(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length;
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN, n };
  let sx = 0, sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  if (sxx === 0) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? NaN : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2, n };
}

export const round = (v: number, digits = 2) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

/** The local minima of a series (lower than both neighbours): for a GC'd heap, its post-GC floor. */
export function troughs<P extends { t: number; y: number }>(points: readonly P[]): P[] {
  const out: P[] = [];
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    if (p.y < points[i - 1]!.y && p.y <= points[i + 1]!.y) out.push(p);
  }
  return out;
}

/** The spread of paired estimates: their median and quartiles, and how many pairs. */
export interface PairedEstimate {
  median: number;
  q1: number;
  q3: number;
  pairs: number;
}

/**
 * 1 − a/b for each pair of parts measured next to each other (a's k-th part and b's k-th
 * part are adjacent in the A B … B A rounds), summarised by the median: a burst of other work
 * on the machine spoils the pairs it falls in, not the estimate.
 */
export function pairedOverhead(a: readonly number[], b: readonly number[]): PairedEstimate | undefined {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let k = 0; k < n; k++) if (b[k]! > 0) ratios.push(1 - a[k]! / b[k]!);
  if (ratios.length === 0) return undefined;
  const sorted = ratios.sort((x, y) => x - y);
  return { median: percentileOfSorted(sorted, 50), q1: percentileOfSorted(sorted, 25), q3: percentileOfSorted(sorted, 75), pairs: sorted.length };
}

/**
 * Figures across seeds: mean, sample standard deviation and a t-interval
 * for the mean, and the same for paired differences. Student's t
 * quantile comes from jStat rather than a hand-written approximation.
 *
 * ```ts
 * import { tInterval } from "./stats.ts";
 *
 * const s = tInterval([1, 2, 3, 4, 5]);
 * console.log(s.mean, s.sd, s.low, s.high); // 3 1.5811… 1.0368… 4.9632…
 * ```
 *
 * @module
 */

// @ts-types="./jstat.d.ts"
import jStat from "jstat";

/** Mean, spread and interval of a sample (null where n is too small). */
export interface IntervalSummary {
  /** Sample size. */
  n: number;
  /** Mean (null when n = 0). */
  mean: number | null;
  /** Sample standard deviation, n − 1 in the denominator (null when n < 2). */
  sd: number | null;
  /** Lower end of the t-interval for the mean (null when n < 2). */
  low: number | null;
  /** Upper end (null when n < 2). */
  high: number | null;
}

/** Student's t quantile at `p` with `dof` degrees of freedom. */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1) || !(dof > 0)) {
    throw new RangeError(`t quantile needs 0 < p < 1 and dof > 0`);
  }
  return jStat.studentt.inv(p, dof);
}

/**
 * The mean of `values` with its two-sided `confidence` t-interval
 * (mean ± t(1 − α/2, n − 1) · sd / √n).
 */
export function tInterval(
  values: readonly number[],
  confidence = 0.95,
): IntervalSummary {
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, low: null, high: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: null, low: null, high: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const sd = Math.sqrt(variance);
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * sd /
    Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half };
}

/**
 * The paired difference a − b over matching positions (the same seeds),
 * summarised as {@link tInterval}: the seed-to-seed variation both share
 * cancels, so the interval is narrower than comparing two means.
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
  confidence = 0.95,
): IntervalSummary {
  if (a.length !== b.length) {
    throw new RangeError(
      `paired samples differ in size: ${a.length}, ${b.length}`,
    );
  }
  return tInterval(a.map((x, i) => x - b[i]), confidence);
}

/**
 * The confidence interval of an accuracy measured on a finite test set,
 * shared by the evaluate stage and the report.
 *
 * @module
 */

/** A two-sided interval `[low, high]` around an estimate. */
export interface Interval {
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * Wilson score interval (95 %) of a proportion `correct / n`. Unlike the
 * normal approximation it stays inside [0, 1] and behaves near 0 and 1,
 * where accuracies on clean MNIST live.
 *
 * @example
 * ```ts
 * wilsonInterval(9673, 10000); // ≈ { low: 0.9636, high: 0.9706 }
 * ```
 */
export function wilsonInterval(correct: number, n: number): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const p = correct / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) *
    Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

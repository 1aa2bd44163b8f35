/**
 * The statistics behind "can I trust the numbers?" besides the accuracy's
 * confidence interval (in lib/evaluate): McNemar's test for whether two
 * models evaluated on the same images really differ, and the largest
 * confusions.
 *
 * @module
 */

/** The result of {@link mcnemar}. */
export interface McNemarResult {
  /** Images model A gets wrong and model B right. */
  onlyBRight: number;
  /** Images model A gets right and model B wrong. */
  onlyARight: number;
  /** Continuity-corrected χ² statistic (1 degree of freedom). */
  chi2: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * McNemar's test on paired predictions: only the images where exactly one
 * model is right carry information about which model is better, so the
 * test compares those two counts.
 */
export function mcnemar(
  labels: ArrayLike<number>,
  predictedA: ArrayLike<number>,
  predictedB: ArrayLike<number>,
): McNemarResult {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < labels.length; i++) {
    const a = predictedA[i] === labels[i];
    const b = predictedB[i] === labels[i];
    if (a && !b) onlyA++;
    if (b && !a) onlyB++;
  }
  const discordant = onlyA + onlyB;
  const chi2 = discordant === 0
    ? 0
    : (Math.max(Math.abs(onlyA - onlyB) - 1, 0) ** 2) / discordant;
  // χ² with 1 degree of freedom is a squared standard normal.
  const p = erfc(Math.sqrt(chi2 / 2));
  return { onlyARight: onlyA, onlyBRight: onlyB, chi2, p };
}

/**
 * Complementary error function (Numerical Recipes' Chebyshev fit,
 * relative error < 1.2e-7), enough for a p-value.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 +
          t * (0.37409196 +
              t * (0.09678418 +
                  t * (-0.18628806 +
                      t * (0.27886807 +
                          t * (-1.13520398 +
                              t *
                                (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}

/** One off-diagonal cell of a confusion matrix. */
export interface Confusion {
  /** True digit. */
  actual: number;
  /** Predicted digit. */
  predicted: number;
  /** Images of `actual` predicted as `predicted`. */
  count: number;
}

/** The `limit` largest off-diagonal cells, largest first. */
export function topConfusions(
  matrix: readonly (readonly number[])[],
  limit = 5,
): Confusion[] {
  const cells: Confusion[] = [];
  matrix.forEach((row, actual) =>
    row.forEach((count, predicted) => {
      if (actual !== predicted && count > 0) {
        cells.push({ actual, predicted, count });
      }
    })
  );
  cells.sort((a, b) =>
    b.count - a.count || a.actual - b.actual || a.predicted - b.predicted
  );
  return cells.slice(0, limit);
}

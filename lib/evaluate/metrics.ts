/**
 * Classification metrics from labels and predictions: accuracy, the
 * confusion matrix and per-class precision, recall and F1. Pure functions
 * over typed arrays, so they are tested on hand-made examples.
 *
 * @module
 */

/** `matrix[t][p]` counts images of true class `t` predicted as `p`. */
export type ConfusionMatrix = number[][];

/** Precision, recall and F1 of one class, with its support. */
export interface ClassMetrics {
  /** The class (digit). */
  label: number;
  /** Of the images predicted as this class, the fraction that are. */
  precision: number;
  /** Of the images of this class, the fraction predicted as it. */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Number of images of this class. */
  support: number;
}

/**
 * Count true/predicted pairs. Labels and predictions must have the same
 * length and lie in 0..classes-1.
 *
 * @example
 * ```ts
 * confusionMatrix(Uint8Array.of(0, 1, 1), Uint8Array.of(0, 0, 1), 2);
 * // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes = 10,
): ConfusionMatrix {
  if (labels.length !== predictions.length) {
    throw new RangeError(
      `${labels.length} labels but ${predictions.length} predictions`,
    );
  }
  const matrix = Array.from(
    { length: classes },
    () => new Array<number>(classes).fill(0),
  );
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new RangeError(`class out of range at ${i}: true ${t}, pred ${p}`);
    }
    matrix[t][p]++;
  }
  return matrix;
}

/** Fraction of the matrix on its diagonal (0 for an empty matrix). */
export function accuracyOf(matrix: ConfusionMatrix): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, t) =>
    row.forEach((count, p) => {
      total += count;
      if (t === p) correct += count;
    })
  );
  return total === 0 ? 0 : correct / total;
}

/**
 * Per-class precision, recall and F1. A class never predicted has
 * precision 0, one never present recall 0 (scikit-learn's
 * `zero_division=0`).
 */
export function perClassMetrics(matrix: ConfusionMatrix): ClassMetrics[] {
  const classes = matrix.length;
  return matrix.map((row, c) => {
    const truePositives = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < classes; t++) predicted += matrix[t][c];
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0
      ? 0
      : (2 * precision * recall) / (precision + recall);
    return { label: c, precision, recall, f1, support };
  });
}

/** Unweighted mean of per-class F1 (macro F1). */
export function macroF1(perClass: readonly ClassMetrics[]): number {
  return perClass.reduce((sum, m) => sum + m.f1, 0) / perClass.length;
}

/**
 * The benchmark's summary figures, as ImageNet-C defines them (Hendrycks &
 * Dietterich 2019, §3) and MNIST-C reports them (Mu & Gilmer 2019):
 *
 * - corruption error of model f on corruption c, normalised by a reference
 *   model: CE_c = Σ_s E(f, s, c) / Σ_s E(ref, s, c), summed over the five
 *   severities s; mCE is its mean over the corruptions;
 * - relative CE: the same ratio of the errors' rise above each model's own
 *   clean error, Σ_s (E(f, s, c) − E(f, clean)) / Σ_s (E(ref, s, c) −
 *   E(ref, clean)); relative mCE is its mean;
 * - MNIST-C-style accuracy: mean accuracy over the corruptions at the
 *   severity MNIST-C published each one at.
 *
 * Errors are fractions (1 − accuracy). Pure functions over plain tables.
 *
 * @example
 * ```ts
 * import { corruptionError, meanOf } from "./scores.ts";
 *
 * // A model with half the reference's error at every severity:
 * const ce = corruptionError([0.1, 0.1, 0.2, 0.2, 0.4], [0.2, 0.2, 0.4, 0.4, 0.8]);
 * console.log(ce, meanOf([ce, 1])); // 0.5 0.75
 * ```
 *
 * @module
 */

import { DataError } from "../core/mod.ts";

/** Σ errors / Σ reference errors over the same severities. */
export function corruptionError(
  errors: readonly number[],
  referenceErrors: readonly number[],
): number {
  checkSameLength(errors, referenceErrors);
  const reference = sum(referenceErrors);
  if (!(reference > 0)) {
    throw new DataError(
      "the reference model makes no errors on this corruption; its corruption error is undefined",
    );
  }
  return sum(errors) / reference;
}

/**
 * Σ (error − clean error) / Σ (reference error − reference clean error):
 * how much faster than the reference a model degrades, whatever its clean
 * accuracy. Undefined (NaN) when the reference does not degrade at all.
 */
export function relativeCorruptionError(
  errors: readonly number[],
  cleanError: number,
  referenceErrors: readonly number[],
  referenceCleanError: number,
): number {
  checkSameLength(errors, referenceErrors);
  const rise = sum(errors) - errors.length * cleanError;
  const referenceRise = sum(referenceErrors) -
    referenceErrors.length * referenceCleanError;
  return referenceRise > 0 ? rise / referenceRise : NaN;
}

/** Mean of a non-empty list; NaN entries make the mean NaN. */
export function meanOf(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("mean of an empty list");
  return sum(values) / values.length;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function checkSameLength(a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `errors at ${a.length} severities against the reference's ${b.length}`,
    );
  }
}

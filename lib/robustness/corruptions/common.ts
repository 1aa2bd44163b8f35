/**
 * Helpers the corruptions share: picking a severity's parameter, and
 * turning a corrupted value back into a byte the way MNIST-C's pipeline
 * does.
 *
 * MNIST-C's corruptions return `float32` arrays on the 0–255 scale, and
 * its notebook stores them with `np.round(x).astype(np.uint8)`: round to
 * nearest, ties to even. {@link toByte} does the same, including the
 * `float32` step, which turns values such as `x + 25.5` computed in
 * doubles into exact ties.
 *
 * @module
 */

import type { Severity } from "../corruption.ts";

/**
 * The entry of a five-row severity table for `severity` (1–5). Throws a
 * `RangeError` for anything else, so a bad severity never silently picks
 * `undefined`.
 */
export function severityParam<T>(
  table: readonly T[],
  severity: Severity,
  name: string,
): T {
  checkSeverity(severity, name);
  return table[severity - 1];
}

/**
 * Throw a `RangeError` unless `severity` is an integer 1–5 (for
 * corruptions that MNIST-C gives no severity parameter but that must
 * still refuse nonsense).
 */
export function checkSeverity(severity: Severity, name: string): void {
  if (!(severity >= 1 && severity <= 5 && Number.isInteger(severity))) {
    throw new RangeError(
      `${name}: severity must be an integer 1–5, got ${severity}`,
    );
  }
}

/**
 * A value on the 0–255 scale as a byte: clipped to [0, 255], rounded to
 * `float32`, then to the nearest integer with ties to even (NumPy's
 * `round`). NaN becomes 0.
 */
export function toByte(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 255) return 255;
  const v = Math.fround(value);
  const r = Math.round(v); // ties go up here…
  return r - v === 0.5 && (r & 1) === 1 ? r - 1 : r; // …and to even here
}

/** `LEVELS[v] = v / 255`: a pixel on the [0, 1] scale, as MNIST-C divides. */
export const LEVELS: Float64Array = (() => {
  const levels = new Float64Array(256);
  for (let v = 0; v < 256; v++) levels[v] = v / 255;
  return levels;
})();

/** A 28×28 float scratch image shared by corruptions that work in floats. */
export const FLOAT_SCRATCH: Float32Array = new Float32Array(28 * 28);

/** A second float scratch image (for the blur's intermediate pass). */
export const FLOAT_SCRATCH_2: Float32Array = new Float32Array(28 * 28);

/**
 * `solarize`: every pixel at or above a threshold is inverted (AutoAugment,
 * Cubuk et al. 2019; AugMix's operation list). On an MNIST stroke — a
 * bright core inside a grey rim — it darkens the core and keeps the rim,
 * so strokes turn hollow: the nearest standard augmentation to MNIST-C's
 * canny edges (the digit reduced to its outline, 44 % at full scale).
 *
 * Why it is not canny edges: nothing here finds edges. It is a per-pixel
 * tone curve (no neighbourhood, no gradient, no hysteresis); an outline
 * appears only where the stroke's own grey ramp crosses the threshold,
 * and the rim keeps its grey levels instead of becoming a thin binary
 * line. An edge detector would be training on the test corruption.
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * `v ← 255 − v` where `v ≥ threshold`, else unchanged.
 *
 * ```ts
 * import { solarize } from "./solarize.ts";
 * const px = new Float32Array([0, 100, 200, 255]);
 * solarize(px, 128); // px is [0, 100, 55, 0]
 * ```
 */
export function solarize(pixels: Float32Array, threshold: number): void {
  for (let p = 0; p < pixels.length; p++) {
    const v = pixels[p];
    if (v >= threshold) pixels[p] = 255 - v;
  }
}

/**
 * Solarize; severity = the share of the tone range inverted, so the
 * threshold is `255·(1 − severity)` (0 changes nothing, 1 inverts all).
 */
export const SOLARIZE_OP: MixOp = {
  name: "solarize",
  severity: "share of the tone range inverted (threshold 255·(1 − s))",
  limits: [0, 1],
  apply(pixels, _rows, _cols, severity) {
    solarize(pixels, 255 * (1 - severity));
  },
};

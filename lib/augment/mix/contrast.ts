/**
 * `contrast`: scale every pixel's distance to the image mean. Lowering it
 * lifts the background and dims the strokes, as fog and brightness do,
 * without being either (no fractal field, no additive offset).
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * `v ← m + factor·(v − m)` with `m` the image mean.
 *
 * ```ts
 * import { scaleContrast } from "./contrast.ts";
 * const px = new Float32Array([0, 100]);
 * scaleContrast(px, 0.5); // px is [25, 75]
 * ```
 */
export function scaleContrast(pixels: Float32Array, factor: number): void {
  let sum = 0;
  for (let p = 0; p < pixels.length; p++) sum += pixels[p];
  const mean = sum / pixels.length;
  for (let p = 0; p < pixels.length; p++) {
    pixels[p] = mean + factor * (pixels[p] - mean);
  }
}

/** Contrast scaling around the mean; severity = the factor (1 = unchanged). */
export const CONTRAST_OP: MixOp = {
  name: "contrast",
  severity: "factor on the distance to the image mean (1 = unchanged)",
  limits: [0, 2],
  apply(pixels, _rows, _cols, severity) {
    scaleContrast(pixels, severity);
  },
};

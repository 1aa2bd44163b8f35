/**
 * `gamma`: a non-linear tone curve `255·(v/255)^γ` — per-image intensity
 * change that thins (γ > 1) or thickens (γ < 1) the grey rim of strokes.
 * Unlike MNIST-C's brightness it adds no offset: black stays black.
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * `v ← 255·(v/255)^gamma` for `v` in [0, 255].
 *
 * ```ts
 * import { applyGamma } from "./gamma.ts";
 * const px = new Float32Array([0, 63.75, 255]);
 * applyGamma(px, 2); // px is [0, 15.9375, 255]
 * ```
 */
export function applyGamma(pixels: Float32Array, gamma: number): void {
  for (let p = 0; p < pixels.length; p++) {
    const v = pixels[p];
    pixels[p] = v > 0 ? 255 * Math.pow(v / 255, gamma) : 0;
  }
}

/**
 * Gamma with a random direction; severity `s` = |log₂ γ|, so γ is 2^s or
 * 2^−s with equal chance.
 */
export const GAMMA_OP: MixOp = {
  name: "gamma",
  severity: "|log2 γ| (γ = 2^±s, sign drawn)",
  limits: [0, 3],
  apply(pixels, _rows, _cols, severity, rng) {
    const sign = rng.nextFloat() < 0.5 ? -1 : 1;
    applyGamma(pixels, Math.pow(2, sign * severity));
  },
};

/**
 * `speckle`: multiplicative Gaussian noise `v + v·σ·N(0, 1)`, which makes
 * strokes grainy and leaves the black background black — the part of shot
 * noise (Poisson, signal-dependent) that additive noise does not model.
 *
 * Black pixels cannot change, so they draw nothing (four fifths of an
 * MNIST digit); the draws are the ziggurat's, as in `gaussian_noise`.
 *
 * @module
 */

import { normal } from "../../core/mod.ts";
import type { MixOp } from "./op.ts";

/** Multiplicative noise; severity = σ (relative to the pixel's value). */
export const SPECKLE_OP: MixOp = {
  name: "speckle",
  severity: "relative standard deviation σ",
  limits: [0, 2],
  apply(pixels, _rows, _cols, severity, rng) {
    for (let p = 0; p < pixels.length; p++) {
      const v = pixels[p];
      if (v !== 0) pixels[p] = v + v * severity * normal(rng);
    }
  },
};

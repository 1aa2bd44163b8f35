/**
 * `speckle`: multiplicative Gaussian noise `v + v·σ·N(0, 1)`, which makes
 * strokes grainy and leaves the black background black — the part of shot
 * noise (Poisson, signal-dependent) that additive noise does not model.
 *
 * @module
 */

import { addSpeckle } from "../corruptions.ts";
import type { MixOp } from "./op.ts";

/** Multiplicative noise; severity = σ (relative to the pixel's value). */
export const SPECKLE_OP: MixOp = {
  name: "speckle",
  severity: "relative standard deviation σ",
  limits: [0, 2],
  apply(pixels, _rows, _cols, severity, rng) {
    addSpeckle(pixels, severity, rng);
  },
};

/**
 * `gaussian_noise`: additive Gaussian noise, background included. The
 * train-time stand-in for MNIST-C's shot and impulse noise, which both
 * put grains where the digit is not.
 *
 * Draws come from the robustness stage's ziggurat ({@link normal}), not
 * the augment stage's Box–Muller `addGaussianNoise`: one uint32 per
 * pixel instead of a logarithm, a root and a sine, which took this op
 * from ~75 to ~57 µs per 28×28 image (shared machine, noisy). (That file depends only on
 * lib/core; it belongs there, see the report.)
 *
 * @module
 */

import { normal } from "../../core/mod.ts";
import type { MixOp } from "./op.ts";

/** Additive Gaussian noise; severity = σ on the [0, 1] scale. */
export const GAUSSIAN_NOISE_OP: MixOp = {
  name: "gaussian_noise",
  severity: "standard deviation σ on the [0, 1] scale",
  limits: [0, 1],
  apply(pixels, _rows, _cols, severity, rng) {
    const scale = 255 * severity;
    for (let p = 0; p < pixels.length; p++) pixels[p] += scale * normal(rng);
  },
};

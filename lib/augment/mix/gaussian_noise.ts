/**
 * `gaussian_noise`: additive Gaussian noise, background included. The
 * train-time stand-in for MNIST-C's shot and impulse noise, which both
 * put grains where the digit is not.
 *
 * @module
 */

import { addGaussianNoise } from "../corruptions.ts";
import type { MixOp } from "./op.ts";

/** Additive Gaussian noise; severity = σ on the [0, 1] scale. */
export const GAUSSIAN_NOISE_OP: MixOp = {
  name: "gaussian_noise",
  severity: "standard deviation σ on the [0, 1] scale",
  limits: [0, 1],
  apply(pixels, _rows, _cols, severity, rng) {
    addGaussianNoise(pixels, severity, rng);
  },
};

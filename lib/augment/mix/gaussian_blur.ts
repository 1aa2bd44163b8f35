/**
 * `gaussian_blur`: isotropic defocus. Glass blur (local pixel shuffles
 * after blurring) and motion blur (a directional kernel) are MNIST-C's;
 * an isotropic Gaussian is neither, and blur→blur transfer is the best
 * documented in ImageNet-C.
 *
 * @module
 */

import { gaussianBlur } from "../corruptions.ts";
import type { MixOp } from "./op.ts";

/** Separable Gaussian blur, reflect borders; severity = σ in pixels. */
export const GAUSSIAN_BLUR_OP: MixOp = {
  name: "gaussian_blur",
  severity: "standard deviation σ in pixels",
  limits: [0, 5],
  apply(pixels, rows, cols, severity, _rng, scratch) {
    gaussianBlur(pixels, rows, cols, severity, scratch.a);
  },
};

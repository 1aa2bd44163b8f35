/**
 * The extra `gaussian_blur` (not among MNIST-C's fifteen), with the
 * `imagecorruptions` severity table, through the augment stage's
 * separable blur.
 *
 * @module
 */

import { gaussianBlur } from "../../augment/mod.ts";
import { type Corruption, IMAGE_PIXELS, IMAGE_SIDE } from "../corruption.ts";
import { FLOAT_SCRATCH, FLOAT_SCRATCH_2, severityParam } from "./common.ts";
import { fromFloats } from "./noise.ts";

/** `gaussian_blur`: standard deviation in pixels. */
export const GAUSSIAN_BLUR_SIGMA: readonly number[] = [1, 2, 3, 4, 6];

/**
 * `gaussian_blur` (extra): an isotropic Gaussian blur of σ pixels, as
 * `imagecorruptions` applies it (it turns grey images into three
 * channels first). MNIST-C's own `gaussian_blur` passes a 2-D image with
 * `multichannel=True`, so scikit-image takes the columns for channels and
 * blurs vertically only (σ = [c, 0]); this one does not copy that. The shared blur truncates the kernel at 3σ (at most 15
 * pixels, so 2.5σ at σ = 6) and reflects at the border, where
 * scikit-image truncates at 4σ and repeats the edge pixel.
 */
export const GAUSSIAN_BLUR: Corruption = {
  name: "gaussian_blur",
  group: "extra",
  defaultSeverity: 2,
  reference:
    "imagecorruptions gaussian_blur: skimage.filters.gaussian, σ = [1, 2, 3, 4, 6] (isotropic); here lib/augment's separable blur (3σ kernel ≤ 15 px, reflect border); default severity is MNIST-C corruptions.py's (not published in MNIST-C)",
  apply(image, severity, _rng, out) {
    const sigma = severityParam(GAUSSIAN_BLUR_SIGMA, severity, "gaussian_blur");
    const f = FLOAT_SCRATCH;
    for (let p = 0; p < IMAGE_PIXELS; p++) f[p] = image[p];
    gaussianBlur(f, IMAGE_SIDE, IMAGE_SIDE, sigma, FLOAT_SCRATCH_2);
    fromFloats(f, out);
  },
};

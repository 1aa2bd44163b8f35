/**
 * MNIST-C's `spatter`: blobs of grey "mud" where a smoothed Gaussian noise
 * field crosses a threshold.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import { type Corruption, IMAGE_PIXELS, type Severity } from "../corruption.ts";
import { gaussian2d, gaussianHalfKernel, toByte } from "./ndimage.ts";
import { normal } from "../../core/mod.ts";

/**
 * MNIST-C's table per severity 1–5: (noise mean, noise sd, field σ,
 * threshold, mask σ). MNIST-C's sixth entry (ImageNet-C's liquid/mud
 * switch) is unused there: every severity gets the mud branch.
 */
export const SPATTER_PARAMS: readonly (readonly [
  number,
  number,
  number,
  number,
  number,
])[] = [
  [0.65, 0.3, 4, 0.69, 0.6],
  [0.65, 0.3, 3, 0.68, 0.6],
  [0.65, 0.3, 2, 0.68, 0.5],
  [0.65, 0.3, 1, 0.65, 1.5],
  [0.67, 0.4, 1, 0.65, 1.5],
];

/** The mud's grey level, 63 on the 0–255 scale as in MNIST-C. */
export const MUD_LEVEL = 63;

/** Mask values below this are dropped (MNIST-C's `m[m < 0.8] = 0`). */
const MASK_FLOOR = 0.8;

const fieldKernels = SPATTER_PARAMS.map(([, , s]) => gaussianHalfKernel(s));
const maskKernels = SPATTER_PARAMS.map(([, , , , s]) => gaussianHalfKernel(s));
const noise = new Float64Array(IMAGE_PIXELS);
const smooth = new Float64Array(IMAGE_PIXELS);

/**
 * The mud mask `m` of MNIST-C's spatter into `mask` (0, or in [0.8, 1]):
 * Gaussian noise N(mean, sd²) per pixel (ziggurat draws), blurred with σ₁ (scikit-image's
 * `gaussian`: truncate 4, `nearest` borders), thresholded to 0/1 at
 * `> threshold`, blurred with σ₂, values below 0.8 set to 0.
 */
export function spatterMask(
  severity: Severity,
  rng: KeyedRng,
  mask: Float64Array,
): void {
  const [mean, sd, , threshold] = SPATTER_PARAMS[severity - 1];
  for (let p = 0; p < IMAGE_PIXELS; p++) {
    noise[p] = mean + sd * normal(rng);
  }
  gaussian2d(noise, smooth, fieldKernels[severity - 1], "nearest");
  for (let p = 0; p < IMAGE_PIXELS; p++) {
    noise[p] = smooth[p] > threshold ? 1 : 0;
  }
  gaussian2d(noise, mask, maskKernels[severity - 1], "nearest");
  for (let p = 0; p < IMAGE_PIXELS; p++) {
    if (mask[p] < MASK_FLOOR) mask[p] = 0;
  }
}

const mudMask = new Float64Array(IMAGE_PIXELS);

/** `spatter` as in MNIST-C's `corruptions.py`. */
export const spatterCorruption: Corruption = {
  name: "spatter",
  group: "mnist-c",
  defaultSeverity: 4,
  reference:
    "MNIST-C corruptions.py spatter: N(mean, sd) field, skimage gaussian " +
    "(sigma), threshold, gaussian again, mask >= 0.8 blends to grey 63: " +
    "x*(1-m) + 63*m; own RNG draws (ziggurat normals)",
  apply(image: Uint8Array, severity: Severity, rng: KeyedRng, out: Uint8Array) {
    spatterMask(severity, rng, mudMask);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const m = mudMask[p];
      out[p] = m === 0 ? image[p] : toByte(image[p] * (1 - m) + MUD_LEVEL * m);
    }
  },
};

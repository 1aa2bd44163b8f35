/**
 * Pixel corruptions applied after the geometric warp: Gaussian blur,
 * additive Gaussian noise, speckle and salt-and-pepper. Each works in
 * place on one image held as floats on the 0–255 scale, takes its
 * randomness from a {@link KeyedRng} the caller has keyed for this image,
 * and allocates nothing per call.
 *
 * @module
 */

import type { KeyedRng } from "../core/mod.ts";
import { reflectIndex } from "./warp.ts";

/** Largest blur radius in pixels (σ ≤ 5 needs at most ⌈3σ⌉ = 15). */
const MAX_BLUR_RADIUS = 15;
const kernel = new Float64Array(2 * MAX_BLUR_RADIUS + 1);

/**
 * Separable Gaussian blur with standard deviation `sigma` pixels, truncated
 * at 3σ, normalised, with reflect borders (the default fill mode, so a
 * blurred edge does not darken). `scratch` holds `rows·cols` floats.
 */
export function gaussianBlur(
  pixels: Float32Array,
  rows: number,
  cols: number,
  sigma: number,
  scratch: Float32Array,
): void {
  if (!(sigma > 0)) return;
  const radius = Math.min(MAX_BLUR_RADIUS, Math.max(1, Math.ceil(3 * sigma)));
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const w = Math.exp(-(k * k) / (2 * sigma * sigma));
    kernel[k + radius] = w;
    sum += w;
  }
  for (let k = 0; k <= 2 * radius; k++) kernel[k] /= sum;
  // Rows into scratch, then columns back into pixels.
  for (let y = 0; y < rows; y++) {
    const row = y * cols;
    for (let x = 0; x < cols; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        acc += kernel[k + radius] * pixels[row + reflectIndex(x + k, cols)];
      }
      scratch[row + x] = acc;
    }
  }
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        acc += kernel[k + radius] *
          scratch[reflectIndex(y + k, rows) * cols + x];
      }
      pixels[y * cols + x] = acc;
    }
  }
}

/** Add Gaussian noise of standard deviation `sigma` (on the [0, 1] scale). */
export function addGaussianNoise(
  pixels: Float32Array,
  sigma: number,
  rng: KeyedRng,
): void {
  if (!(sigma > 0)) return;
  const scale = 255 * sigma;
  for (let p = 0; p < pixels.length; p++) {
    pixels[p] += scale * rng.nextGaussian();
  }
}

/**
 * Speckle: multiplicative Gaussian noise `v + v·σ·N(0, 1)` (scikit-image's
 * `speckle`), so dark background stays dark and strokes get grainy.
 */
export function addSpeckle(
  pixels: Float32Array,
  sigma: number,
  rng: KeyedRng,
): void {
  if (!(sigma > 0)) return;
  for (let p = 0; p < pixels.length; p++) {
    pixels[p] += pixels[p] * sigma * rng.nextGaussian();
  }
}

/**
 * Salt-and-pepper: each pixel independently becomes black (pepper) or
 * white (salt) with probability `p`, half and half. One draw per pixel
 * decides both whether and which.
 */
export function addSaltAndPepper(
  pixels: Float32Array,
  p: number,
  rng: KeyedRng,
): void {
  if (!(p > 0)) return;
  const half = p / 2;
  for (let q = 0; q < pixels.length; q++) {
    const u = rng.nextFloat();
    if (u < p) pixels[q] = u < half ? 0 : 255;
  }
}

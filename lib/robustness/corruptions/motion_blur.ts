/**
 * MNIST-C's `motion_blur`: ImageMagick's `MotionBlurImage` (through Wand)
 * at a random angle in [−45°, 45°).
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import { type Corruption, IMAGE_SIDE, type Severity } from "../corruption.ts";

/** MNIST-C's table: (radius, σ) per severity 1–5. */
export const MOTION_BLUR_PARAMS: readonly (readonly [number, number])[] = [
  [10, 3],
  [15, 5],
  [15, 8],
  [15, 12],
  [20, 15],
];

const SQRT_2PI = 2.50662827463100024161;

/**
 * A 0–255 value through ImageMagick Q16 and an 8-bit PNG: rounded to a
 * 16-bit quantum (×257), then truncated to 8 bits. Checked against
 * `convert -motion-blur` of ImageMagick 6.9.11 Q16 on MNIST digits.
 */
function q16ToByte(v: number): number {
  const q = Math.floor(v * 257 + 0.5);
  return q <= 0 ? 0 : q >= 65535 ? 255 : Math.floor(q / 257);
}

/**
 * ImageMagick's motion-blur kernel: `width = 2·⌈radius⌉ + 1` taps of a
 * one-sided Gaussian `exp(−i²/2σ²)`, i = 0…width−1, normalised to sum 1
 * (`GetOptimalKernelWidth1D` and `GetMotionBlurKernel` in effect.c/gem.c).
 */
export function motionBlurKernel(radius: number, sigma: number): Float64Array {
  const width = 2 * Math.ceil(radius) + 1;
  const kernel = new Float64Array(width);
  let sum = 0;
  for (let i = 0; i < width; i++) {
    kernel[i] = Math.exp(-(i * i) / (2 * sigma * sigma)) / (SQRT_2PI * sigma);
    sum += kernel[i];
  }
  for (let i = 0; i < width; i++) kernel[i] /= sum;
  return kernel;
}

const kernels = MOTION_BLUR_PARAMS.map(([r, s]) => motionBlurKernel(r, s));
const MAX_WIDTH = Math.max(...kernels.map((k) => k.length));

// Each row followed by MAX_WIDTH copies of its last pixel: column offsets
// are 0…width−1 for |angle| ≤ 45°, so the right edge is all that clamps.
const PADDED = IMAGE_SIDE + MAX_WIDTH;
const padded = new Float64Array(IMAGE_SIDE * PADDED);
const acc = new Float64Array(IMAGE_SIDE);
// Taps with equal offsets merged: column offset, row offset, weight.
const tapDx = new Int32Array(MAX_WIDTH);
const tapDy = new Int32Array(MAX_WIDTH);
const tapW = new Float64Array(MAX_WIDTH);

/**
 * ImageMagick's `MotionBlurImage(radius, σ, angle)` on one 28×28 image:
 * output (x, y) is `Σ kernel[i]·in(x + ⌈i·cos θ − ½⌉, y + ⌈i·sin θ − ½⌉)`
 * with edge pixels repeated outside the image (the default virtual-pixel
 * method), so each bright pixel streaks towards −(cos θ, sin θ). Brought
 * to bytes as ImageMagick Q16's 8-bit PNG output does. `angleDegrees`
 * must lie in [−45, 45].
 */
export function motionBlur(
  image: Uint8Array,
  kernel: Float64Array,
  angleDegrees: number,
  out: Uint8Array,
): void {
  const width = kernel.length;
  const theta = Math.PI * angleDegrees / 180;
  const px = width * Math.sin(theta);
  const py = width * Math.cos(theta);
  const hyp = Math.hypot(px, py);
  let taps = 0;
  for (let i = 0; i < width; i++) {
    const dx = Math.ceil(i * py / hyp - 0.5);
    const dy = Math.ceil(i * px / hyp - 0.5);
    if (taps > 0 && tapDx[taps - 1] === dx && tapDy[taps - 1] === dy) {
      tapW[taps - 1] += kernel[i];
    } else {
      tapDx[taps] = dx;
      tapDy[taps] = dy;
      tapW[taps] = kernel[i];
      taps++;
    }
  }
  for (let y = 0; y < IMAGE_SIDE; y++) {
    const src = y * IMAGE_SIDE;
    const dst = y * PADDED;
    for (let x = 0; x < IMAGE_SIDE; x++) padded[dst + x] = image[src + x];
    const last = image[src + IMAGE_SIDE - 1];
    for (let x = IMAGE_SIDE; x < PADDED; x++) padded[dst + x] = last;
  }
  for (let y = 0; y < IMAGE_SIDE; y++) {
    acc.fill(0);
    for (let t = 0; t < taps; t++) {
      let row = y + tapDy[t];
      row = row < 0 ? 0 : row >= IMAGE_SIDE ? IMAGE_SIDE - 1 : row;
      const start = row * PADDED + tapDx[t];
      const w = tapW[t];
      for (let x = 0; x < IMAGE_SIDE; x++) acc[x] += w * padded[start + x];
    }
    const o = y * IMAGE_SIDE;
    for (let x = 0; x < IMAGE_SIDE; x++) out[o + x] = q16ToByte(acc[x]);
  }
}

/** `motion_blur` as in MNIST-C's `corruptions.py`. */
export const motionBlurCorruption: Corruption = {
  name: "motion_blur",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py motion_blur: ImageMagick MotionBlurImage " +
    "(radius, sigma) from its table, angle uniform in [-45, 45), one-sided " +
    "Gaussian kernel of 2*radius+1 taps, edge virtual pixels; own RNG draw",
  apply(image: Uint8Array, severity: Severity, rng: KeyedRng, out: Uint8Array) {
    const angle = rng.uniform(-45, 45);
    motionBlur(image, kernels[severity - 1], angle, out);
  },
};

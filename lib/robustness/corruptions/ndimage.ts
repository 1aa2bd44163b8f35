/**
 * The few `scipy.ndimage` operations the filter corruptions need, on one
 * 28×28 image held as float64, with scipy's arithmetic in scipy's order so
 * that results agree to the last bit where that decides a threshold
 * (Canny's ties, glass blur's truncation to uint8): the Gaussian kernel of
 * `gaussian_filter1d` (radius `int(truncate·σ + 0.5)`, numpy's pairwise
 * sum for the normalisation), `correlate1d`'s symmetric loop (outermost
 * pair first), axis 0 before axis 1, and `nearest` or `constant` (zero)
 * borders. Nothing here allocates per call.
 *
 * @module
 */

import { IMAGE_PIXELS, IMAGE_SIDE } from "../corruption.ts";

/** Largest kernel radius the line buffer holds (σ = 4 at truncate 4 is 16). */
export const MAX_KERNEL_RADIUS = 24;

/** numpy's pairwise summation (`np.add.reduce`) for fewer than 129 values. */
function numpySum(values: Float64Array): number {
  const n = values.length;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += values[i];
    return res;
  }
  if (n > 128) throw new RangeError("numpySum: more than 128 values");
  const r = values.slice(0, 8);
  let i = 8;
  for (; i < n - (n % 8); i += 8) {
    for (let j = 0; j < 8; j++) r[j] += values[i + j];
  }
  let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; i++) res += values[i];
  return res;
}

/**
 * Half of `scipy.ndimage`'s Gaussian kernel: weights `w[0..r]` for offsets
 * `0..r`, `r = int(truncate·σ + 0.5)`, computed as scipy does
 * (`exp(−0.5/σ² · x²)` over x = −r…r, divided by its numpy sum). Built once
 * per severity, not per image.
 */
export function gaussianHalfKernel(sigma: number, truncate = 4): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  if (radius > MAX_KERNEL_RADIUS) {
    throw new RangeError(`Gaussian radius ${radius} > ${MAX_KERNEL_RADIUS}`);
  }
  const full = new Float64Array(2 * radius + 1);
  const factor = -0.5 / (sigma * sigma);
  for (let x = -radius; x <= radius; x++) {
    full[x + radius] = Math.exp(factor * (x * x));
  }
  const sum = numpySum(full);
  const half = new Float64Array(radius + 1);
  for (let k = 0; k <= radius; k++) half[k] = full[radius + k] / sum;
  return half;
}

/** How a 1-D correlation treats samples beyond the image. */
export type Border = "nearest" | "constant";

// One padded line: MAX_KERNEL_RADIUS samples either side of 28.
const line = new Float64Array(IMAGE_SIDE + 2 * MAX_KERNEL_RADIUS);

/**
 * Correlate every row of the 28×28 `src` with the symmetric kernel `half`
 * and write the result transposed into `dst` (may not be `src`): row `l`
 * of `src` becomes column `l` of `dst`. So a call on a transposed image
 * blurs along its axis 0 and comes back upright, and every pass reads
 * rows. `"nearest"` repeats the edge sample, `"constant"` reads zeros.
 * Sums as scipy's `correlate1d` does for a symmetric kernel: the centre
 * term, then each pair from the outermost in.
 */
export function correlateRowsTransposed(
  src: Float64Array,
  dst: Float64Array,
  half: Float64Array,
  border: Border,
): void {
  const r = half.length - 1;
  const w0 = half[0];
  const nearest = border === "nearest";
  for (let l = 0; l < IMAGE_SIDE; l++) {
    const base = l * IMAGE_SIDE;
    const left = nearest ? src[base] : 0;
    const right = nearest ? src[base + IMAGE_SIDE - 1] : 0;
    for (let k = 0; k < r; k++) {
      line[k] = left;
      line[r + IMAGE_SIDE + k] = right;
    }
    for (let p = 0; p < IMAGE_SIDE; p++) line[r + p] = src[base + p];
    for (let p = 0; p < IMAGE_SIDE; p++) {
      const c = r + p;
      let acc = line[c] * w0;
      for (let k = r; k >= 1; k--) acc += (line[c - k] + line[c + k]) * half[k];
      dst[p * IMAGE_SIDE + l] = acc;
    }
  }
}

/** `dst[c][r] = src[r][c]` (`dst` may not be `src`). */
export function transpose(src: Float64Array, dst: Float64Array): void {
  for (let r = 0; r < IMAGE_SIDE; r++) {
    for (let c = 0; c < IMAGE_SIDE; c++) {
      dst[c * IMAGE_SIDE + r] = src[r * IMAGE_SIDE + c];
    }
  }
}

const tmpA = new Float64Array(IMAGE_PIXELS);
const tmpB = new Float64Array(IMAGE_PIXELS);

/**
 * `scipy.ndimage.gaussian_filter` of `src` into `dst`: axis 0 (down the
 * columns), then axis 1 (along the rows).
 */
export function gaussian2d(
  src: Float64Array,
  dst: Float64Array,
  half: Float64Array,
  border: Border,
): void {
  transpose(src, tmpA);
  correlateRowsTransposed(tmpA, tmpB, half, border); // axis 0, upright
  correlateRowsTransposed(tmpB, tmpA, half, border); // axis 1, transposed
  transpose(tmpA, dst);
}

/** A value on the 0–255 scale rounded and clamped to a byte. */
export function toByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
}

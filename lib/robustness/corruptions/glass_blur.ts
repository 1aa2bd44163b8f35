/**
 * MNIST-C's `glass_blur`: blur, shuffle pixels locally, blur again.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import {
  type Corruption,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type Severity,
} from "../corruption.ts";
import {
  correlateRowsTransposed,
  gaussianHalfKernel,
  toByte,
} from "./ndimage.ts";

/** MNIST-C's table: (σ, max_delta, iterations) per severity 1–5. */
export const GLASS_BLUR_PARAMS: readonly (readonly [number, number, number])[] =
  [[0.7, 1, 2], [0.9, 2, 1], [1, 2, 3], [1.1, 3, 2], [1.5, 4, 2]];

const kernels = GLASS_BLUR_PARAMS.map(([sigma]) => gaussianHalfKernel(sigma));
const floats = new Float64Array(IMAGE_PIXELS);
const blurred = new Float64Array(IMAGE_PIXELS);
const bytes = new Uint8Array(IMAGE_PIXELS);

/** `dst[c][r] = src[r][c] / 255`. */
function transposeScaled(src: Uint8Array, dst: Float64Array): void {
  for (let r = 0; r < IMAGE_SIDE; r++) {
    for (let c = 0; c < IMAGE_SIDE; c++) {
      dst[c * IMAGE_SIDE + r] = src[r * IMAGE_SIDE + c] / 255;
    }
  }
}

/**
 * MNIST-C's local shuffle, in place: `iterations` sweeps over rows and
 * columns `28 − d` down to `d + 1` (d = `maxDelta`); at each pixel a fair
 * coin decides whether it swaps with the pixel at offset `(dy, dx)`, both
 * uniform in `[−d, d − 1]` (numpy's `randint(−d, d)`, upper end excluded).
 * Only swaps, so the multiset of values is kept. One uint32 per pixel gives
 * the coin (bit 0) and the two offsets (15 and 16 further bits).
 */
export function glassShuffle(
  pixels: Uint8Array,
  maxDelta: number,
  iterations: number,
  rng: KeyedRng,
): void {
  const d = maxDelta;
  const span = 2 * d;
  for (let it = 0; it < iterations; it++) {
    for (let h = IMAGE_SIDE - d; h > d; h--) {
      for (let w = IMAGE_SIDE - d; w > d; w--) {
        const u = rng.nextUint32();
        if ((u & 1) === 0) continue;
        const dx = ((((u >>> 1) & 0x7fff) * span) >>> 15) - d;
        const dy = (((u >>> 16) * span) >>> 16) - d;
        const a = h * IMAGE_SIDE + w;
        const b = (h + dy) * IMAGE_SIDE + (w + dx);
        const t = pixels[a];
        pixels[a] = pixels[b];
        pixels[b] = t;
      }
    }
  }
}

/**
 * `glass_blur` as in MNIST-C's `corruptions.py`. MNIST-C blurs with
 * scikit-image's `gaussian(x, σ, multichannel=True)` on a 2-D image, which
 * takes the last axis for channels: the blur runs down the columns only
 * (vertical), truncated at 4σ with `nearest` borders. This keeps that, the
 * truncation to uint8 after the first blur, and the shuffle's ranges.
 */
export const glassBlurCorruption: Corruption = {
  name: "glass_blur",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py glass_blur: vertical-only Gaussian blur (skimage " +
    "gaussian with multichannel=True on a 2-D image), floor to uint8, local " +
    "pixel swaps with offsets in [-d, d-1], same blur again; own RNG draws",
  apply(image: Uint8Array, severity: Severity, rng: KeyedRng, out: Uint8Array) {
    const [, maxDelta, iterations] = GLASS_BLUR_PARAMS[severity - 1];
    const kernel = kernels[severity - 1];
    // Columns are blurred as the rows of the transposed image.
    transposeScaled(image, floats);
    correlateRowsTransposed(floats, blurred, kernel, "nearest");
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const v = blurred[p] * 255;
      // np.uint8 of a float truncates.
      bytes[p] = v <= 0 ? 0 : v >= 255 ? 255 : v | 0;
    }
    glassShuffle(bytes, maxDelta, iterations, rng);
    transposeScaled(bytes, floats);
    correlateRowsTransposed(floats, blurred, kernel, "nearest");
    for (let p = 0; p < IMAGE_PIXELS; p++) out[p] = toByte(blurred[p] * 255);
  },
};

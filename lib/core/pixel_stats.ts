/**
 * Summary statistics of uint8 pixels, reported on the [0, 1] scale.
 *
 * @module
 */

/** Mean and (population) standard deviation of pixel intensities. */
export interface PixelStats {
  /** Mean intensity on the [0, 1] scale. */
  mean: number;
  /** Population standard deviation on the [0, 1] scale. */
  std: number;
}

/**
 * Mean and standard deviation of uint8 pixels, as intensities in [0, 1].
 * Counts a 256-bin histogram first: one cheap pass, and exact integer sums
 * no matter how many pixels (no floating-point drift over 47 M values).
 *
 * ```ts
 * pixelStats(Uint8Array.of(0, 255)); // { mean: 0.5, std: 0.5 }
 * ```
 */
export function pixelStats(pixels: Uint8Array): PixelStats {
  const histogram = new Float64Array(256);
  for (let p = 0; p < pixels.length; p++) histogram[pixels[p]]++;
  return statsOfHistogram(histogram);
}

/**
 * Mean and standard deviation of the pixels of the images at `indices`
 * (each `imageSize` bytes long in `images`), e.g. of a training subset
 * without its held-out images.
 *
 * ```ts
 * const images = Uint8Array.of(0, 0, 255, 255, 51, 51);
 * imagesPixelStats(images, 2, [1, 2]); // mean (1 + 0.2) / 2 = 0.6, std 0.4
 * ```
 */
export function imagesPixelStats(
  images: Uint8Array,
  imageSize: number,
  indices: ArrayLike<number>,
): PixelStats {
  const histogram = new Float64Array(256);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i] * imageSize;
    if (!(start >= 0 && start + imageSize <= images.length)) {
      throw new RangeError(`image index ${indices[i]} outside the images`);
    }
    for (let p = start; p < start + imageSize; p++) histogram[images[p]]++;
  }
  return statsOfHistogram(histogram);
}

function statsOfHistogram(histogram: Float64Array): PixelStats {
  let n = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    n += histogram[v];
    sum += histogram[v] * v;
  }
  if (n === 0) return { mean: 0, std: 0 };
  const mean = sum / n;
  let squares = 0;
  for (let v = 0; v < 256; v++) squares += histogram[v] * (v - mean) ** 2;
  return { mean: mean / 255, std: Math.sqrt(squares / n) / 255 };
}

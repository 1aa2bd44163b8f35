/**
 * Digits as pictures: a 28×28 test image enlarged by whole pixels
 * (nearest neighbour, so strokes stay crisp instead of blurring) and
 * encoded as an 8-bit grayscale PNG, plus data URIs for the HTML page.
 *
 * @module
 */

import { encodeGrayPng, enlargeGray } from "../core/mod.ts";
import type { MnistSplit } from "../data/mod.ts";

/** How much a digit is enlarged by default: 28 px → 84 px. */
export const DIGIT_SCALE = 3;

/**
 * Image `index` of a split as an enlarged grayscale PNG.
 *
 * @example
 * ```ts
 * import { loadNoisy } from "../data/mod.ts";
 *
 * const test = await loadNoisy("data/noisy", "test");
 * await Deno.writeFile("digit.png", digitPng(test, 0)); // 84×84
 * ```
 */
export function digitPng(
  split: MnistSplit,
  index: number,
  scale = DIGIT_SCALE,
): Uint8Array {
  if (!(index >= 0 && index < split.count)) {
    throw new RangeError(`image index ${index} outside 0..${split.count - 1}`);
  }
  const size = split.rows * split.cols;
  const pixels = split.images.subarray(index * size, (index + 1) * size);
  const digit = { width: split.cols, height: split.rows, pixels };
  return encodeGrayPng(enlargeGray(digit, scale));
}

/** Base64 of bytes (chunked, so large images do not overflow the stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** A `data:` URI for PNG bytes, to inline an image in HTML. */
export function pngDataUri(bytes: Uint8Array): string {
  return `data:image/png;base64,${toBase64(bytes)}`;
}

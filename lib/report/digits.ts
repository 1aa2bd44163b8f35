/**
 * Digits as pictures: a 28×28 test image enlarged by whole pixels
 * (nearest neighbour, so strokes stay crisp instead of blurring) and
 * encoded as an 8-bit grayscale PNG, plus data URIs for the HTML page.
 *
 * @module
 */

import png from "imagescript/png";
import type { MnistSplit } from "../data/mod.ts";

/** Options of imagescript's pure-JS PNG encoder. */
interface PngEncodeOptions {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** zlib level (0 stores uncompressed). */
  level?: number;
}

/** The part of imagescript's PNG codec this module uses (it ships no types). */
interface PngCodec {
  encode(data: Uint8Array, options: PngEncodeOptions): Uint8Array;
}

const codec = png as unknown as PngCodec;

/** How much a digit is enlarged by default: 28 px → 84 px. */
export const DIGIT_SCALE = 3;

/**
 * Enlarge a grayscale image by an integer factor, each source pixel
 * becoming a `scale × scale` block.
 */
export function enlarge(
  pixels: Uint8Array,
  width: number,
  height: number,
  scale: number,
): Uint8Array {
  const outWidth = width * scale;
  const out = new Uint8Array(outWidth * height * scale);
  for (let y = 0; y < height * scale; y++) {
    const sourceRow = Math.floor(y / scale) * width;
    const targetRow = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      out[targetRow + x] = pixels[sourceRow + Math.floor(x / scale)];
    }
  }
  return out;
}

/** Encode grayscale pixels (one byte each) as a PNG. */
export function encodeGrayPng(
  pixels: Uint8Array,
  width: number,
  height: number,
): Uint8Array {
  if (pixels.length !== width * height) {
    throw new RangeError(
      `${pixels.length} pixels for a ${width}×${height} image`,
    );
  }
  return codec.encode(pixels, { width, height, channels: 1, level: 9 });
}

/**
 * Image `index` of a split as an enlarged grayscale PNG.
 *
 * @example
 * ```ts
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
  return encodeGrayPng(
    enlarge(pixels, split.cols, split.rows, scale),
    split.cols * scale,
    split.rows * scale,
  );
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

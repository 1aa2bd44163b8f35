/**
 * Grayscale pictures: one 8-bit, one-channel PNG encoder (imagescript's
 * pure-JS codec, so no `--allow-ffi`) and a whole-pixel enlargement, for
 * the augment stage's contact sheet and the report's digits alike.
 *
 * @example
 * ```ts
 * import { encodeGrayPng, enlargeGray } from "./png.ts";
 *
 * const dot = { width: 1, height: 1, pixels: Uint8Array.of(255) };
 * const png = encodeGrayPng(enlargeGray(dot, 4)); // a 4×4 white square
 * console.log(png.length > 0);
 * ```
 *
 * @module
 */

import png from "imagescript/png";

/** A grayscale image: `width · height` uint8 pixels, row-major. */
export interface GrayImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixels, row after row. */
  pixels: Uint8Array;
}

/** The part of imagescript's PNG codec used here (it ships no types). */
interface PngCodec {
  encode(
    data: Uint8Array,
    options: { width: number; height: number; channels: 1; level: number },
  ): Uint8Array;
}

const codec = png as unknown as PngCodec;

/**
 * Encode a grayscale image as an 8-bit, one-channel PNG. The codec
 * defaults to level 0 (stored, uncompressed); level 9 makes pictures of
 * digits several times smaller, and each is encoded once.
 */
export function encodeGrayPng(image: GrayImage): Uint8Array {
  const { width, height, pixels } = image;
  if (pixels.length !== width * height) {
    throw new RangeError(
      `${pixels.length} pixels for a ${width}×${height} image`,
    );
  }
  return codec.encode(pixels, { width, height, channels: 1, level: 9 });
}

/**
 * Enlarge by an integer factor, each source pixel becoming a
 * `scale × scale` block (nearest neighbour, so strokes stay crisp).
 */
export function enlargeGray(image: GrayImage, scale: number): GrayImage {
  const width = image.width * scale;
  const height = image.height * scale;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sourceRow = Math.floor(y / scale) * image.width;
    for (let x = 0; x < width; x++) {
      pixels[y * width + x] = image.pixels[sourceRow + Math.floor(x / scale)];
    }
  }
  return { width, height, pixels };
}

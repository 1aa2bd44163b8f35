/**
 * Reading pictures of digits: PNG and JPEG, any size, colour or
 * grayscale, with or without alpha, decoded to 8-bit RGBA.
 *
 * PNG goes through imagescript's pure-JavaScript codec; JPEG through its
 * WebAssembly decoder (`wasm/node/jpeg.js`), imported on its own: it is
 * the package's main entry that loads the native codec needing
 * `--allow-ffi`, not JPEG decoding, so `--allow-read` is enough here.
 * Before a PNG reaches the codec its chunk structure and CRCs are checked
 * and the variants the codec would get wrong (interlaced, fewer than 8
 * bits per sample) are refused, so a damaged file is an error, never a
 * picture of garbage.
 *
 * @module
 */

import pngCodec from "imagescript/png";
import type { RgbaImage } from "./preprocess.ts";

/** The largest picture accepted, in pixels (a 48-megapixel photo). */
export const MAX_PIXELS = 48_000_000;

/** A file that is not a picture this module can read, and why. */
export class ImageDecodeError extends Error {
  /** `detail`: one line, e.g. `not a PNG or JPEG file`. */
  constructor(detail: string) {
    super(detail);
    this.name = "ImageDecodeError";
  }
}

/** The formats read. */
export type ImageFormat = "png" | "jpeg";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** The format the first bytes announce, or `undefined`. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  return undefined;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checkSize(width: number, height: number): void {
  if (width < 1 || height < 1) {
    throw new ImageDecodeError(`corrupt image: size ${width}×${height}`);
  }
  if (width * height > MAX_PIXELS) {
    throw new ImageDecodeError(
      `${width}×${height} is too large (more than ${
        MAX_PIXELS / 1e6
      } megapixels)`,
    );
  }
}

/** Walk a PNG's chunks: structure, CRCs, and what the codec supports. */
function checkPng(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const name = (at: number) =>
    String.fromCharCode(...bytes.subarray(at + 4, at + 8));
  let at = 8;
  let first = true;
  let sawData = false;
  for (;;) {
    if (at + 12 > bytes.length) {
      throw new ImageDecodeError("corrupt PNG: truncated (no IEND chunk)");
    }
    const length = view.getUint32(at);
    const type = name(at);
    if (at + 12 + length > bytes.length) {
      throw new ImageDecodeError(`corrupt PNG: ${type} chunk is truncated`);
    }
    const body = bytes.subarray(at + 4, at + 8 + length);
    if (crc32(body) !== view.getUint32(at + 8 + length)) {
      throw new ImageDecodeError(`corrupt PNG: bad CRC in ${type} chunk`);
    }
    if (first) {
      if (type !== "IHDR" || length !== 13) {
        throw new ImageDecodeError("corrupt PNG: does not start with IHDR");
      }
      checkSize(view.getUint32(at + 8), view.getUint32(at + 12));
      const depth = bytes[at + 16];
      const colour = bytes[at + 17];
      const interlace = bytes[at + 20];
      if (![0, 2, 3, 4, 6].includes(colour)) {
        throw new ImageDecodeError(`corrupt PNG: colour type ${colour}`);
      }
      if (depth !== 8 && !(depth === 16 && colour !== 3)) {
        throw new ImageDecodeError(
          `unsupported PNG: ${depth}-bit samples (8 or 16 are read; re-save it as 8-bit)`,
        );
      }
      if (interlace !== 0) {
        throw new ImageDecodeError(
          "unsupported PNG: interlaced (re-save it without interlacing)",
        );
      }
      first = false;
    }
    if (type === "IDAT") sawData = true;
    if (type === "IEND") break;
    at += 12 + length;
  }
  if (!sawData) throw new ImageDecodeError("corrupt PNG: no image data");
}

/** Width and height from a JPEG's frame header (SOF marker). */
function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) {
      throw new ImageDecodeError("corrupt JPEG: bad marker");
    }
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
      marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) break;
      return {
        height: (bytes[at + 5] << 8) | bytes[at + 6],
        width: (bytes[at + 7] << 8) | bytes[at + 8],
      };
    }
    if (marker === 0xda || marker === 0xd9) break;
    at += 2 + length;
  }
  throw new ImageDecodeError("corrupt JPEG: no frame header");
}

interface PngCodec {
  decode(bytes: Uint8Array): {
    width: number;
    height: number;
    pixels: Uint8Array;
  };
}

interface JpegDecoder {
  load(bytes: Uint8Array): {
    width: number;
    height: number;
    buffer: Uint8Array;
  };
}

interface JpegCodec {
  init(): Promise<JpegDecoder>;
}

function decodePng(bytes: Uint8Array): RgbaImage {
  checkPng(bytes);
  let decoded;
  try {
    decoded = (pngCodec as unknown as PngCodec).decode(bytes);
  } catch (error) {
    throw new ImageDecodeError(`corrupt PNG: ${errorText(error)}`);
  }
  const { width, height, pixels } = decoded;
  if (pixels.length !== width * height * 4) {
    throw new ImageDecodeError("corrupt PNG: image data does not fill it");
  }
  return { width, height, data: pixels };
}

async function decodeJpeg(bytes: Uint8Array): Promise<RgbaImage> {
  const size = jpegSize(bytes);
  checkSize(size.width, size.height);
  // A fresh decoder per picture: one that failed may be left in any state.
  // Loaded on first use: the codec reads its environment when imported.
  const jpegCodec = (await import("imagescript/jpeg")).default;
  const decoder = await (jpegCodec as unknown as JpegCodec).init();
  let decoded;
  try {
    decoded = decoder.load(bytes);
  } catch (error) {
    throw new ImageDecodeError(`corrupt JPEG: ${errorText(error)}`);
  }
  const { width, height, buffer } = decoded;
  if (buffer.length < width * height * 4 || width < 1 || height < 1) {
    throw new ImageDecodeError("corrupt JPEG: image data does not fill it");
  }
  return { width, height, data: buffer.subarray(0, width * height * 4) };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].replace(/^jpg: /, "");
}

/**
 * Decode PNG or JPEG bytes to RGBA. Throws {@link ImageDecodeError}, one
 * line, for an empty, unsupported or corrupt file.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RgbaImage> {
  if (bytes.length === 0) throw new ImageDecodeError("empty file");
  const format = sniffFormat(bytes);
  if (format === "png") return decodePng(bytes);
  if (format === "jpeg") return await decodeJpeg(bytes);
  throw new ImageDecodeError("not a PNG or JPEG file");
}

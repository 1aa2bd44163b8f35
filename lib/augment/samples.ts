/**
 * The `samples.png` contact sheet of the augment stage: for each digit,
 * its first images from the test split, clean above noisy, enlarged, as
 * an 8-bit grayscale PNG (imagescript's pure-JS codec, so no `--allow-ffi`).
 *
 * @module
 */

import type { GrayImage } from "../core/mod.ts";
import { type MnistSplit, NUM_CLASSES } from "../data/mod.ts";

/** Layout of {@link sampleGrid}. */
export interface SampleGridOptions {
  /** Images per digit, one column each (default 10). */
  perDigit?: number;
  /** Enlargement factor, nearest-neighbour (default 4). */
  scale?: number;
  /** Gap between tiles in output pixels (default 4). */
  gap?: number;
  /** Extra gap between one digit's pair of rows and the next (default 8). */
  digitGap?: number;
  /** Background (gap) intensity 0–255 (default 96, apart from black ink). */
  background?: number;
}

/**
 * The first `perDigit` images of each digit, found by label in `clean`,
 * as a grid: per digit one row of clean images with the same images from
 * `noisy` right below; digits 0–9 top to bottom. Missing images (e.g. with
 * `--limit`) leave background.
 *
 * ```ts
 * import { encodeGrayPng } from "../core/mod.ts";
 * import { loadMnist, loadNoisy } from "../data/mod.ts";
 *
 * const cleanTest = await loadMnist("data/mnist", "test");
 * const noisyTest = await loadNoisy("data/noisy", "test");
 * const grid = sampleGrid(cleanTest, noisyTest);
 * await Deno.writeFile("samples.png", encodeGrayPng(grid));
 * ```
 */
export function sampleGrid(
  clean: MnistSplit,
  noisy: MnistSplit,
  options: SampleGridOptions = {},
): GrayImage {
  const perDigit = options.perDigit ?? 10;
  const scale = options.scale ?? 4;
  const gap = options.gap ?? 4;
  const digitGap = options.digitGap ?? 8;
  const tileW = clean.cols * scale;
  const tileH = clean.rows * scale;
  const width = gap + perDigit * (tileW + gap);
  const pairH = 2 * tileH + gap;
  const height = gap + NUM_CLASSES * (pairH + gap + digitGap) - digitGap;
  const pixels = new Uint8Array(width * height).fill(
    options.background ?? 96,
  );
  const chosen = firstIndicesPerDigit(clean.labels, clean.count, perDigit);
  for (let digit = 0; digit < NUM_CLASSES; digit++) {
    const top = gap + digit * (pairH + gap + digitGap);
    chosen[digit].forEach((index, column) => {
      const left = gap + column * (tileW + gap);
      drawTile(clean, index, scale, pixels, width, left, top);
      drawTile(noisy, index, scale, pixels, width, left, top + tileH + gap);
    });
  }
  return { width, height, pixels };
}

/** Per digit, the indices of its first `perDigit` images. */
function firstIndicesPerDigit(
  labels: Uint8Array,
  count: number,
  perDigit: number,
): number[][] {
  const chosen: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let i = 0; i < count; i++) {
    const list = chosen[labels[i]];
    if (list.length < perDigit) list.push(i);
  }
  return chosen;
}

function drawTile(
  split: MnistSplit,
  index: number,
  scale: number,
  out: Uint8Array,
  outWidth: number,
  left: number,
  top: number,
): void {
  const { rows, cols } = split;
  const base = index * rows * cols;
  for (let y = 0; y < rows * scale; y++) {
    const srcRow = base + Math.floor(y / scale) * cols;
    const outRow = (top + y) * outWidth + left;
    for (let x = 0; x < cols * scale; x++) {
      out[outRow + x] = split.images[srcRow + Math.floor(x / scale)];
    }
  }
}

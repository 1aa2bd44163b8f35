/**
 * A picture of the catalogue to compare with MNIST-C's published figure:
 * one row per corruption (`identity` first, then the catalogue's order),
 * one column group per severity 1–5, a few test digits in each group.
 *
 * @module
 */

import { encodeGrayPng, enlargeGray, type GrayImage } from "../core/mod.ts";
import { type MnistSplit, takeFirst } from "../data/mod.ts";
import { CORRUPTIONS, IDENTITY } from "./catalogue.ts";
import { corruptSplit } from "./corrupt.ts";
import { IMAGE_PIXELS, IMAGE_SIDE, SEVERITIES } from "./corruption.ts";

/** Digits per severity in the samples grid. */
export const SAMPLE_DIGITS = 3;

/** Pixel gap between severities (and rows), before enlarging. */
const GAP = 6;

/** Gray of the gaps, so black digit backgrounds stay apart. */
const GAP_SHADE = 96;

/** The grid's rows: `identity`, then the catalogue. */
export const SAMPLE_ROWS: readonly string[] = [IDENTITY, ...CORRUPTIONS].map(
  (c) => c.name,
);

/**
 * The grid as a grayscale image (enlarged `scale` times): row r is
 * {@link SAMPLE_ROWS}[r], column group s is severity s + 1, holding the
 * first `digits` test images corrupted as the sweep corrupts them.
 */
export function samplesGrid(
  clean: MnistSplit,
  seed: number,
  digits = SAMPLE_DIGITS,
  scale = 2,
): GrayImage {
  const first = takeFirst(clean, digits);
  const n = first.count;
  const groupWidth = n * IMAGE_SIDE;
  const width = SEVERITIES.length * groupWidth + (SEVERITIES.length - 1) * GAP;
  const rows = [IDENTITY, ...CORRUPTIONS];
  const height = rows.length * IMAGE_SIDE + (rows.length - 1) * GAP;
  const pixels = new Uint8Array(width * height).fill(GAP_SHADE);
  rows.forEach((corruption, r) => {
    for (const severity of SEVERITIES) {
      const split = corruptSplit(first, corruption, severity, seed);
      const x0 = (severity - 1) * (groupWidth + GAP);
      const y0 = r * (IMAGE_SIDE + GAP);
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < IMAGE_SIDE; y++) {
          const from = i * IMAGE_PIXELS + y * IMAGE_SIDE;
          pixels.set(
            split.images.subarray(from, from + IMAGE_SIDE),
            (y0 + y) * width + x0 + i * IMAGE_SIDE,
          );
        }
      }
    }
  });
  return enlargeGray({ width, height, pixels }, scale);
}

/** {@link samplesGrid} as PNG bytes. */
export function samplesPng(clean: MnistSplit, seed: number): Uint8Array {
  return encodeGrayPng(samplesGrid(clean, seed));
}

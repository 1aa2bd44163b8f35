/**
 * Corrupting a whole split: every image through one corruption at one
 * severity, each image's randomness keyed by (seed, corruption and
 * severity, image index), so any image can be regenerated alone and the
 * result does not depend on order or batching.
 *
 * @module
 */

import { ConfigError, KeyedRng } from "../core/mod.ts";
import type { MnistSplit } from "../data/mod.ts";
import {
  type Corruption,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type Severity,
} from "./corruption.ts";
import { checkSeverity } from "./corruptions/common.ts";

/**
 * Every corruption name that has a random stream, in a fixed order. The
 * stream id of a corruption comes from its position here, so this list
 * is **append-only**: new corruptions go at the end, and no existing
 * corruption's images ever change.
 */
export const STREAM_NAMES: readonly string[] = [
  "identity",
  "shot_noise",
  "impulse_noise",
  "glass_blur",
  "motion_blur",
  "shear",
  "scale",
  "rotate",
  "brightness",
  "translate",
  "stripe",
  "fog",
  "spatter",
  "dotted_line",
  "zigzag",
  "canny_edges",
  "gaussian_noise",
  "speckle_noise",
  "gaussian_blur",
];

/**
 * First stream id; far above the split ids (0, 1) the augment stage keys
 * its streams with, so a shared seed never gives both the same draws.
 */
const STREAM_ID_BASE = 1_000_000;

/**
 * The id passed as `split` to {@link KeyedRng.reseed} for `name` at
 * `severity`: `1,000,000 + 8·position + severity`, position in
 * {@link STREAM_NAMES}.
 */
export function corruptionStreamId(name: string, severity: Severity): number {
  const position = STREAM_NAMES.indexOf(name);
  if (position < 0) {
    throw new ConfigError(
      "corruption",
      `"${name}" has no stream id; append it to STREAM_NAMES in lib/robustness/corrupt.ts`,
    );
  }
  checkSeverity(severity, name);
  return STREAM_ID_BASE + 8 * position + severity;
}

/**
 * A copy of `split` with every image passed through `corruption` at
 * `severity`. Image `i` uses `rng.reseed(seed, corruptionStreamId(name,
 * severity), i, 0)`. Labels are copied unchanged. Allocates the result
 * and two image buffers, nothing per image.
 */
export function corruptSplit(
  split: MnistSplit,
  corruption: Corruption,
  severity: Severity,
  seed: number,
): MnistSplit {
  const { count, rows, cols } = split;
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new ConfigError(
      "split",
      `corruptions need ${IMAGE_SIDE}×${IMAGE_SIDE} images, got ${rows}×${cols}`,
    );
  }
  if (split.images.length !== count * IMAGE_PIXELS) {
    throw new ConfigError(
      "split",
      `${count} images need ${
        count * IMAGE_PIXELS
      } bytes, got ${split.images.length}`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ConfigError(
      "seed",
      `must be a non-negative integer, got ${seed}`,
    );
  }
  const stream = corruptionStreamId(corruption.name, severity);
  const source = split.images;
  const images = new Uint8Array(count * IMAGE_PIXELS);
  const image = new Uint8Array(IMAGE_PIXELS);
  const out = new Uint8Array(IMAGE_PIXELS);
  const rng = new KeyedRng();
  for (let i = 0; i < count; i++) {
    const offset = i * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) image[p] = source[offset + p];
    rng.reseed(seed, stream, i, 0);
    corruption.apply(image, severity, rng, out);
    images.set(out, offset);
  }
  return { images, labels: split.labels.slice(), count, rows, cols };
}

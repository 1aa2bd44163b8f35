/**
 * What a corruption of the robustness benchmark is: a named, seeded, pure
 * function on one 28×28 uint8 image, with five severities, following the
 * conventions of ImageNet-C (Hendrycks & Dietterich 2019) and MNIST-C
 * (Mu & Gilmer 2019).
 *
 * @module
 */

import type { KeyedRng } from "../core/mod.ts";

/** Side of an MNIST image in pixels. */
export const IMAGE_SIDE = 28;

/** Pixels of one MNIST image. */
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

/** A severity level, 1 (mildest) to 5 (harshest). */
export type Severity = 1 | 2 | 3 | 4 | 5;

/** The five severities in order. */
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4, 5];

/**
 * Which family a corruption belongs to: MNIST-C's fifteen (the benchmark
 * proper), or this project's extra pixel noises (never part of mCE).
 */
export type CorruptionGroup = "mnist-c" | "extra";

/** One corruption of the catalogue. */
export interface Corruption {
  /** MNIST-C's name for it (`shot_noise`, `glass_blur`, …). */
  readonly name: string;
  /** The benchmark family it belongs to. */
  readonly group: CorruptionGroup;
  /** The severity MNIST-C published its dataset at. */
  readonly defaultSeverity: Severity;
  /** What the implementation follows (paper, library function, table). */
  readonly reference: string;
  /**
   * Corrupt `image` (28×28 uint8, row-major, ink high as in MNIST) into
   * `out` (same size; never the same array). All randomness comes from
   * `rng`, which the caller has keyed for this image, so the result
   * depends only on (image, severity, key).
   */
  apply(
    image: Uint8Array,
    severity: Severity,
    rng: KeyedRng,
    out: Uint8Array,
  ): void;
}

/**
 * What every train-time mix operation looks like: a name, the range its
 * severity may take, and an in-place `apply` on one image of floats on the
 * 0–255 scale. The mixer clips to [0, 255] after every operation, so an
 * operation may overshoot and the next one still sees a valid image.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";

/**
 * The operation names, none of them one of MNIST-C's fifteen corruptions
 * (the ImageNet-C rule: never train on the test corruptions).
 */
export const MIX_OP_NAMES = [
  "gaussian_noise",
  "speckle",
  "gaussian_blur",
  "contrast",
  "elastic",
  "erasing",
  "inversion",
  "gamma",
  "illumination",
  "stroke_width",
  "bar_erasing",
  "backdrop_bar",
  "solarize",
] as const;

/** One train-time mix operation's name. */
export type MixOpName = typeof MIX_OP_NAMES[number];

/**
 * Three float buffers an operation may overwrite freely, each at least
 * `rows·cols` long (and long enough for the elastic control grid); the
 * mixer owns them so nothing is allocated per image.
 */
export interface MixScratch {
  /** At least `rows·cols` floats. */
  readonly a: Float32Array;
  /** At least `rows·cols` floats. */
  readonly b: Float32Array;
  /** At least `rows·cols` floats. */
  readonly c: Float32Array;
}

/** One operation: its severity domain and its randomised application. */
export interface MixOp {
  /** The operation's name. */
  readonly name: MixOpName;
  /** What the severity means, with its unit (for docs and errors). */
  readonly severity: string;
  /** The smallest and largest severity a config may ask for. */
  readonly limits: readonly [number, number];
  /**
   * Apply at `severity` in place; any further random choice (a direction,
   * a position, per-pixel noise) comes from `rng`, already keyed for this
   * image and operation slot.
   */
  apply(
    pixels: Float32Array,
    rows: number,
    cols: number,
    severity: number,
    rng: KeyedRng,
    scratch: MixScratch,
  ): void;
}

/** Clip every pixel to [0, 255] in place (NaN becomes 0). */
export function clip255(pixels: Float32Array): void {
  for (let p = 0; p < pixels.length; p++) {
    const v = pixels[p];
    pixels[p] = v > 255 ? 255 : v >= 0 ? v : 0;
  }
}

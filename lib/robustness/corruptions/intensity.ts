/**
 * MNIST-C's per-pixel intensity corruptions, `brightness` and `stripe`.
 * Neither uses randomness; each is a lookup per pixel.
 *
 * @module
 */

import {
  type Corruption,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type Severity,
} from "../corruption.ts";
import { checkSeverity, LEVELS, severityParam, toByte } from "./common.ts";

/** `brightness`: amount added to the HSV value, on the [0, 1] scale. */
export const BRIGHTNESS_SHIFT: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5];

const brightnessLuts: (Uint8Array | undefined)[] = [];

function brightnessLut(severity: Severity): Uint8Array {
  const cached = brightnessLuts[severity];
  if (cached) return cached;
  const c = severityParam(BRIGHTNESS_SHIFT, severity, "brightness");
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    lut[v] = toByte(Math.min(1, LEVELS[v] + c) * 255);
  }
  brightnessLuts[severity] = lut;
  return lut;
}

/**
 * `brightness`: MNIST-C goes grey → RGB → HSV, adds `c` to V (clipped
 * to 1) and comes back through RGB to grey. A grey pixel has zero
 * saturation and V equal to its value, and scikit-image's `rgb2gray`
 * weights sum to 1, so the round trip is `min(1, x + c)` per pixel
 * (up to the last bits of floating point).
 */
export const BRIGHTNESS: Corruption = {
  name: "brightness",
  group: "mnist-c",
  defaultSeverity: 5,
  reference:
    "MNIST-C corruptions.py brightness: HSV value + c, clipped (for grey pixels min(1, x + c)); c = [.1, .2, .3, .4, .5]",
  apply(image, severity, _rng, out) {
    const lut = brightnessLut(severity);
    for (let p = 0; p < IMAGE_PIXELS; p++) out[p] = lut[image[p]];
  },
};

/** Columns `0 … STRIPE_LEFT − 1` are inverted by `stripe`. */
export const STRIPE_LEFT = 7;

/** Columns `STRIPE_RIGHT … 27` are inverted by `stripe`. */
export const STRIPE_RIGHT = 21;

/**
 * `stripe`: invert the leftmost and rightmost seven columns
 * (`255 − x`), leaving a 14-pixel band around the digit. MNIST-C gives it
 * no severity; every severity yields its one version.
 */
export const STRIPE: Corruption = {
  name: "stripe",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py stripe: x[:, :7] and x[:, 21:] become 255 − x; no severity parameter (all five severities are MNIST-C's one version)",
  apply(image, severity, _rng, out) {
    checkSeverity(severity, "stripe");
    for (let y = 0; y < IMAGE_SIDE; y++) {
      const row = y * IMAGE_SIDE;
      for (let x = 0; x < IMAGE_SIDE; x++) {
        const v = image[row + x];
        out[row + x] = x < STRIPE_LEFT || x >= STRIPE_RIGHT ? 255 - v : v;
      }
    }
  },
};

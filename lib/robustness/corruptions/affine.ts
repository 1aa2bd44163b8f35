/**
 * MNIST-C's geometric corruptions — `shear`, `scale`, `rotate`,
 * `translate` — as scikit-image's `transform.warp(x, inverse_map=aff)`
 * with an `AffineTransform`: bilinear interpolation (`order=1`, warp's
 * default), zero fill outside the image (`mode="constant"`, `cval=0`).
 *
 * Maps go from **output** pixel coordinates to **input** coordinates, as
 * `inverse_map` does: `[a, b, c, d, e, f]` means `x_in = a·x + b·y + c`,
 * `y_in = d·x + e·y + f`, with `x` the column and `y` the row. The matrix
 * is scikit-image's `AffineTransform` of MNIST-C's time (2019):
 * `[[sx·cos r, −sy·sin(r + h)], [sx·sin r, sy·cos(r + h)]]` for scale
 * `(sx, sy)`, rotation `r` and shear `h` (radians). Shear, rotation and
 * scale then get MNIST-C's translation `t = 13.5·(1 − row sums)`, which
 * keeps the image centre (13.5, 13.5) fixed.
 *
 * A corruption has at most 20 distinct maps (severity × random signs), so
 * each map is turned once into a table of source indices and fractional
 * offsets; an image then costs four reads and a handful of multiplies per
 * pixel.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import {
  type Corruption,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type Severity,
} from "../corruption.ts";
import { LEVELS, severityParam, toByte } from "./common.ts";

/** An output→input affine map `[a, b, c, d, e, f]` (see the module doc). */
export type AffineMap = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
];

/** The image centre in pixel coordinates, which MNIST-C keeps fixed. */
const CENTRE = (IMAGE_SIDE - 1) / 2;

/** scikit-image's (2019) `AffineTransform(scale, rotation, shear)` matrix. */
function skimageLinear(
  sx: number,
  sy: number,
  rotation: number,
  shear: number,
): [number, number, number, number] {
  return [
    sx * Math.cos(rotation),
    -sy * Math.sin(rotation + shear),
    sx * Math.sin(rotation),
    sy * Math.cos(rotation + shear),
  ];
}

/** A linear map plus MNIST-C's translation that fixes the centre. */
function centred([a, b, d, e]: [number, number, number, number]): AffineMap {
  return [a, b, CENTRE * (1 - a - b), d, e, CENTRE * (1 - d - e)];
}

/** MNIST-C's `shear` map for shear angle `angle` (radians). */
export function shearMap(angle: number): AffineMap {
  return centred(skimageLinear(1, 1, 0, angle));
}

/** MNIST-C's `rotate` map for rotation `angle` (radians). */
export function rotationMap(angle: number): AffineMap {
  return centred(skimageLinear(1, 1, angle, 0));
}

/**
 * MNIST-C's `scale` map: input coordinates are `factor` times as far from
 * the centre, so `factor > 1` shrinks the digit by `1 / factor`.
 */
export function scaleMap(factor: number): AffineMap {
  return centred(skimageLinear(factor, factor, 0, 0));
}

/**
 * MNIST-C's `translate` map: `AffineTransform(translation=[dx, dy])` as
 * the inverse map, so output `(x, y)` reads input `(x + dx, y + dy)` and
 * the digit moves by `(−dx, −dy)`.
 */
export function translationMap(dx: number, dy: number): AffineMap {
  return [1, 0, dx, 0, 1, dy];
}

/** Index of the always-zero cell past the image in the padded buffer. */
const ZERO = IMAGE_PIXELS;
const padded = new Float64Array(IMAGE_PIXELS + 1);

/**
 * One affine map precomputed for 28×28 images: for each output pixel the
 * four neighbours `floor/ceil` of the input point (or the zero cell when
 * outside the image) and the fractional offsets, as scikit-image's
 * `bilinear_interpolation` uses them.
 */
export class AffineWarp {
  readonly #index = new Int32Array(4 * IMAGE_PIXELS);
  readonly #frac = new Float64Array(2 * IMAGE_PIXELS);

  /** Precompute `map` (output → input, see the module doc). */
  constructor(readonly map: AffineMap) {
    const [a, b, c, d, e, f] = map;
    const n = IMAGE_SIDE;
    const at = (r: number, col: number) =>
      r >= 0 && r < n && col >= 0 && col < n ? r * n + col : ZERO;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const p = y * n + x;
        const col = a * x + b * y + c;
        const row = d * x + e * y + f;
        const minR = Math.floor(row);
        const minC = Math.floor(col);
        const maxR = Math.ceil(row);
        const maxC = Math.ceil(col);
        this.#index[4 * p] = at(minR, minC);
        this.#index[4 * p + 1] = at(minR, maxC);
        this.#index[4 * p + 2] = at(maxR, minC);
        this.#index[4 * p + 3] = at(maxR, maxC);
        this.#frac[2 * p] = row - minR;
        this.#frac[2 * p + 1] = col - minC;
      }
    }
  }

  /** Warp `image` into `out` (28×28 bytes each, distinct arrays). */
  apply(image: Uint8Array, out: Uint8Array): void {
    for (let p = 0; p < IMAGE_PIXELS; p++) padded[p] = LEVELS[image[p]];
    const index = this.#index;
    const frac = this.#frac;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const dr = frac[2 * p];
      const dc = frac[2 * p + 1];
      const top = (1 - dc) * padded[index[4 * p]] +
        dc * padded[index[4 * p + 1]];
      const bottom = (1 - dc) * padded[index[4 * p + 2]] +
        dc * padded[index[4 * p + 3]];
      out[p] = toByte(((1 - dr) * top + dr * bottom) * 255);
    }
  }
}

/** `-1` or `1` with equal odds: `np.random.choice([-1, 1])`. */
function randomSign(rng: KeyedRng): number {
  return rng.nextFloat() < 0.5 ? -1 : 1;
}

/** Lazily built warps, one per (severity, sign pattern). */
function warpCache(
  build: (severity: Severity, pattern: number) => AffineMap,
): (severity: Severity, pattern: number) => AffineWarp {
  const cache: (AffineWarp | undefined)[] = [];
  return (severity, pattern) => {
    const key = severity * 4 + pattern;
    return cache[key] ??= new AffineWarp(build(severity, pattern));
  };
}

/** `shear`: shear angle in radians (sign drawn at random). */
export const SHEAR_ANGLE: readonly number[] = [0.2, 0.4, 0.6, 0.8, 1];

/** `rotate`: rotation angle in radians (sign drawn at random). */
export const ROTATE_ANGLE: readonly number[] = [0.2, 0.4, 0.6, 0.8, 1];

/** `scale`: input-coordinate factor `1 / s` for digit size `s`. */
export const SCALE_FACTOR: readonly number[] = [
  1 / 0.9,
  1 / 0.8,
  1 / 0.7,
  1 / 0.6,
  1 / 0.5,
];

/** `translate`: shift in pixels along each axis (signs drawn at random). */
export const TRANSLATE_PIXELS: readonly number[] = [1, 2, 3, 4, 5];

const shearWarp = warpCache((s, pattern) =>
  shearMap((pattern === 0 ? -1 : 1) * severityParam(SHEAR_ANGLE, s, "shear"))
);

/** `shear`: a centred shear of ±angle (one sign draw). */
export const SHEAR: Corruption = {
  name: "shear",
  group: "mnist-c",
  defaultSeverity: 2,
  reference:
    "MNIST-C corruptions.py shear: skimage AffineTransform(shear=±c) fixing the centre 13.5, warp order 1 (bilinear), zero fill; c = [.2, .4, .6, .8, 1] rad",
  apply(image, severity, rng, out) {
    severityParam(SHEAR_ANGLE, severity, "shear");
    const pattern = randomSign(rng) < 0 ? 0 : 1;
    shearWarp(severity, pattern).apply(image, out);
  },
};

const rotateWarp = warpCache((s, pattern) =>
  rotationMap(
    (pattern === 0 ? -1 : 1) * severityParam(ROTATE_ANGLE, s, "rotate"),
  )
);

/** `rotate`: a rotation by ±angle about the centre (one sign draw). */
export const ROTATE: Corruption = {
  name: "rotate",
  group: "mnist-c",
  defaultSeverity: 2,
  reference:
    "MNIST-C corruptions.py rotate: skimage AffineTransform(rotation=±c) fixing the centre 13.5, warp order 1 (bilinear), zero fill; c = [.2, .4, .6, .8, 1] rad",
  apply(image, severity, rng, out) {
    severityParam(ROTATE_ANGLE, severity, "rotate");
    const pattern = randomSign(rng) < 0 ? 0 : 1;
    rotateWarp(severity, pattern).apply(image, out);
  },
};

const scaleWarp = warpCache((s) =>
  scaleMap(severityParam(SCALE_FACTOR, s, "scale"))
);

/** `scale`: shrink the digit about the centre (no randomness). */
export const SCALE: Corruption = {
  name: "scale",
  group: "mnist-c",
  defaultSeverity: 3,
  reference:
    "MNIST-C corruptions.py scale: skimage AffineTransform(scale=1/s) fixing the centre 13.5, warp order 1 (bilinear), zero fill; s = [.9, .8, .7, .6, .5]",
  apply(image, severity, _rng, out) {
    severityParam(SCALE_FACTOR, severity, "scale");
    scaleWarp(severity, 0).apply(image, out);
  },
};

const translateWarp = warpCache((s, pattern) => {
  const k = severityParam(TRANSLATE_PIXELS, s, "translate");
  return translationMap(pattern & 1 ? k : -k, pattern & 2 ? k : -k);
});

/** `translate`: an integer shift by (±k, ±k) (two sign draws). */
export const TRANSLATE: Corruption = {
  name: "translate",
  group: "mnist-c",
  defaultSeverity: 3,
  reference:
    "MNIST-C corruptions.py translate: skimage AffineTransform(translation=(±k, ±k)) as warp's inverse map, zero fill; k = [1, 2, 3, 4, 5] px",
  apply(image, severity, rng, out) {
    severityParam(TRANSLATE_PIXELS, severity, "translate");
    const dx = randomSign(rng);
    const dy = randomSign(rng);
    translateWarp(severity, (dx > 0 ? 1 : 0) | (dy > 0 ? 2 : 0))
      .apply(image, out);
  },
};

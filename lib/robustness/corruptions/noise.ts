/**
 * Pixel noises: MNIST-C's `shot_noise` and `impulse_noise`, and the extra
 * `gaussian_noise` and `speckle_noise` (not among MNIST-C's fifteen).
 *
 * Parameter tables are those of MNIST-C's `corruptions.py`, which for
 * these four equal ImageNet-C's and the `imagecorruptions` library's.
 * Additive, multiplicative and salt-and-pepper noise reuse the augment
 * stage's helpers; shot noise samples its Poisson counts by inversion
 * from per-grey-level tables, so an image costs one uniform draw per
 * non-black pixel.
 *
 * @module
 */

import {
  addGaussianNoise,
  addSaltAndPepper,
  addSpeckle,
} from "../../augment/mod.ts";
import type { KeyedRng } from "../../core/mod.ts";
import { type Corruption, IMAGE_PIXELS, type Severity } from "../corruption.ts";
import { FLOAT_SCRATCH, severityParam, toByte } from "./common.ts";

/** `shot_noise`: photon counts `c` per unit intensity (fewer = noisier). */
export const SHOT_NOISE_PHOTONS: readonly number[] = [60, 25, 12, 5, 3];

/** `impulse_noise`: fraction of pixels set to salt or pepper. */
export const IMPULSE_NOISE_AMOUNT: readonly number[] = [
  0.03,
  0.06,
  0.09,
  0.17,
  0.27,
];

/** `gaussian_noise`: standard deviation on the [0, 1] scale. */
export const GAUSSIAN_NOISE_SIGMA: readonly number[] = [
  0.08,
  0.12,
  0.18,
  0.26,
  0.38,
];

/** `speckle_noise`: standard deviation of the multiplicative noise. */
export const SPECKLE_NOISE_SIGMA: readonly number[] = [
  0.15,
  0.2,
  0.35,
  0.45,
  0.6,
];

/**
 * Inverse-CDF tables for shot noise at one photon count `c`: for grey
 * level `v` (1–255), `cdf[v·c + k] = P(K ≤ k)` for `K ~ Poisson(c·v/255)`,
 * `k = 0 … c − 1`; any `K ≥ c` clips to white. `bytes[k]` is the output
 * byte for count `k` (`clip(k / c, 0, 1) · 255`, rounded).
 */
interface ShotTable {
  photons: number;
  cdf: Float64Array;
  bytes: Uint8Array;
}

const shotTables: (ShotTable | undefined)[] = [];

function shotTable(severity: Severity): ShotTable {
  const cached = shotTables[severity];
  if (cached) return cached;
  const c = severityParam(SHOT_NOISE_PHOTONS, severity, "shot_noise");
  const cdf = new Float64Array(256 * c);
  for (let v = 1; v < 256; v++) {
    const lambda = (v / 255) * c;
    let p = Math.exp(-lambda);
    let sum = 0;
    for (let k = 0; k < c; k++) {
      sum += p;
      cdf[v * c + k] = sum;
      p *= lambda / (k + 1);
    }
  }
  const bytes = new Uint8Array(c + 1);
  for (let k = 0; k <= c; k++) bytes[k] = toByte(Math.min(1, k / c) * 255);
  const table = { photons: c, cdf, bytes };
  shotTables[severity] = table;
  return table;
}

/**
 * `shot_noise`: each pixel becomes `Poisson(c·x) / c` (x on [0, 1]),
 * clipped. Black stays black (a Poisson of mean 0 is 0), so no draw is
 * spent on it.
 */
export const SHOT_NOISE: Corruption = {
  name: "shot_noise",
  group: "mnist-c",
  defaultSeverity: 5,
  reference:
    "MNIST-C corruptions.py shot_noise: clip(Poisson(x·c)/c, 0, 1), c = [60, 25, 12, 5, 3]; Poisson drawn by inversion",
  apply(image, severity, rng, out) {
    const { photons: c, cdf, bytes } = shotTable(severity);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const v = image[p];
      if (v === 0) {
        out[p] = 0;
        continue;
      }
      // Smallest k with u < P(K ≤ k), by binary search over k < c.
      const u = rng.nextFloat();
      const base = v * c;
      let lo = 0;
      let hi = c; // k = c stands for every count ≥ c
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (u < cdf[base + mid]) hi = mid;
        else lo = mid + 1;
      }
      out[p] = bytes[lo];
    }
  },
};

/** Copy bytes into the float scratch image, 0–255 scale. */
function toFloats(image: Uint8Array): Float32Array {
  const f = FLOAT_SCRATCH;
  for (let p = 0; p < IMAGE_PIXELS; p++) f[p] = image[p];
  return f;
}

/** Write a float image back as bytes (clip, round half to even). */
export function fromFloats(pixels: Float32Array, out: Uint8Array): void {
  for (let p = 0; p < IMAGE_PIXELS; p++) out[p] = toByte(pixels[p]);
}

/**
 * `impulse_noise`: scikit-image's `random_noise(mode="s&p")` — each pixel
 * independently, with probability `amount`, becomes white or black, half
 * and half.
 */
export const IMPULSE_NOISE: Corruption = {
  name: "impulse_noise",
  group: "mnist-c",
  defaultSeverity: 4,
  reference:
    "MNIST-C corruptions.py impulse_noise: skimage random_noise mode='s&p', amount = [.03, .06, .09, .17, .27], salt_vs_pepper 0.5",
  apply(image, severity, rng: KeyedRng, out) {
    const amount = severityParam(
      IMPULSE_NOISE_AMOUNT,
      severity,
      "impulse_noise",
    );
    const f = toFloats(image);
    addSaltAndPepper(f, amount, rng);
    fromFloats(f, out);
  },
};

/** `gaussian_noise` (extra): `clip(x + N(0, σ²))`. */
export const GAUSSIAN_NOISE: Corruption = {
  name: "gaussian_noise",
  group: "extra",
  defaultSeverity: 5,
  reference:
    "imagecorruptions / MNIST-C corruptions.py gaussian_noise: clip(x + N(0, σ)), σ = [.08, .12, .18, .26, .38]; default severity is corruptions.py's (not published in MNIST-C)",
  apply(image, severity, rng, out) {
    const sigma = severityParam(
      GAUSSIAN_NOISE_SIGMA,
      severity,
      "gaussian_noise",
    );
    const f = toFloats(image);
    addGaussianNoise(f, sigma, rng);
    fromFloats(f, out);
  },
};

/** `speckle_noise` (extra): `clip(x + x·N(0, σ²))`. */
export const SPECKLE_NOISE: Corruption = {
  name: "speckle_noise",
  group: "extra",
  defaultSeverity: 5,
  reference:
    "imagecorruptions / MNIST-C corruptions.py speckle_noise: clip(x + x·N(0, σ)), σ = [.15, .2, .35, .45, .6]; default severity is corruptions.py's (not published in MNIST-C)",
  apply(image, severity, rng, out) {
    const sigma = severityParam(SPECKLE_NOISE_SIGMA, severity, "speckle_noise");
    const f = toFloats(image);
    addSpeckle(f, sigma, rng);
    fromFloats(f, out);
  },
};

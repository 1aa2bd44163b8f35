/**
 * The catalogue: MNIST-C's fifteen corruptions in MNIST-C's order
 * (`corruptions.CORRUPTIONS` in google-research/mnist-c, without
 * `identity`), then this project's extra pixel corruptions, plus the
 * `identity` baseline and a lookup by name.
 *
 * The five filter corruptions (`glass_blur`, `motion_blur`, `fog`,
 * `spatter`, `canny_edges`) come from `corruptions/filters.ts` and are
 * placed by name, so neither file depends on the other's order.
 *
 * @module
 */

import { ConfigError } from "../core/mod.ts";
import { type Corruption, IMAGE_PIXELS } from "./corruption.ts";
import { checkSeverity } from "./corruptions/common.ts";
import { ROTATE, SCALE, SHEAR, TRANSLATE } from "./corruptions/affine.ts";
import { GAUSSIAN_BLUR } from "./corruptions/blur.ts";
import { FILTER_CORRUPTIONS } from "./corruptions/filters.ts";
import { BRIGHTNESS, STRIPE } from "./corruptions/intensity.ts";
import { DOTTED_LINE, ZIGZAG } from "./corruptions/lines.ts";
import {
  GAUSSIAN_NOISE,
  IMPULSE_NOISE,
  SHOT_NOISE,
  SPECKLE_NOISE,
} from "./corruptions/noise.ts";

/** MNIST-C's fifteen corruption names, in MNIST-C's order. */
export const MNIST_C_NAMES: readonly string[] = [
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
];

/** The extra corruptions' names (group `extra`), in MNIST-C's `ALL_CORRUPTIONS` order. */
export const EXTRA_NAMES: readonly string[] = [
  "gaussian_noise",
  "speckle_noise",
  "gaussian_blur",
];

/** `identity`: the clean image (MNIST-C's baseline; not a corruption). */
export const IDENTITY: Corruption = {
  name: "identity",
  group: "mnist-c",
  defaultSeverity: 1,
  reference: "MNIST-C corruptions.py identity: the image unchanged",
  apply(image, severity, _rng, out) {
    checkSeverity(severity, "identity");
    for (let p = 0; p < IMAGE_PIXELS; p++) out[p] = image[p];
  },
};

const OWN: readonly Corruption[] = [
  SHOT_NOISE,
  IMPULSE_NOISE,
  SHEAR,
  SCALE,
  ROTATE,
  BRIGHTNESS,
  TRANSLATE,
  STRIPE,
  DOTTED_LINE,
  ZIGZAG,
  GAUSSIAN_NOISE,
  SPECKLE_NOISE,
  GAUSSIAN_BLUR,
];

function assemble(): readonly Corruption[] {
  const byName = new Map<string, Corruption>();
  for (const c of [...OWN, ...FILTER_CORRUPTIONS]) {
    if (byName.has(c.name)) {
      throw new Error(`corruption catalogue: "${c.name}" is defined twice`);
    }
    byName.set(c.name, c);
  }
  const names = [...MNIST_C_NAMES, ...EXTRA_NAMES];
  const unplaced = [...byName.keys()].filter((n) => !names.includes(n));
  if (unplaced.length > 0) {
    throw new Error(
      `corruption catalogue: no place for ${unplaced.join(", ")}`,
    );
  }
  return Object.freeze(names.map((name) => {
    const c = byName.get(name);
    if (!c) throw new Error(`corruption catalogue: "${name}" is missing`);
    return c;
  }));
}

/**
 * Every corruption: MNIST-C's fifteen in MNIST-C's order (group
 * `mnist-c`, the benchmark proper), then the extras (group `extra`,
 * never part of mCE). `identity` is {@link IDENTITY}, not listed here.
 */
export const CORRUPTIONS: readonly Corruption[] = assemble();

/** MNIST-C's fifteen, in MNIST-C's order (the first fifteen of {@link CORRUPTIONS}). */
export const MNIST_C_CORRUPTIONS: readonly Corruption[] = Object.freeze(
  CORRUPTIONS.filter((c) => c.group === "mnist-c"),
);

/**
 * The corruption called `name` (`identity` included). Throws a one-line
 * {@link ConfigError} listing the valid names otherwise.
 */
export function corruptionByName(name: string): Corruption {
  if (name === IDENTITY.name) return IDENTITY;
  const found = CORRUPTIONS.find((c) => c.name === name);
  if (found) return found;
  throw new ConfigError(
    "corruption",
    `unknown "${name}"; valid: ${
      [IDENTITY, ...CORRUPTIONS].map((c) => c.name).join(", ")
    }`,
  );
}

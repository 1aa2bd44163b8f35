/**
 * The typed configuration of the augment transform, its presets, and the
 * parsing and validation of parameter values.
 *
 * Invalid values raise a {@link ConfigError} naming the config field
 * (`saltPepper: must be ≤ 1, got 1.5`); the command line maps fields to
 * its flags.
 *
 * Every parameter is a {@link Param}: a fixed number, or a `[lo, hi]`
 * range sampled uniformly per image. Intensities (brightness, noise, fill
 * value) are on the [0, 1] scale, whatever the storage format.
 *
 * ```ts
 * import { PRESETS, withOverrides } from "./config.ts";
 *
 * const config = withOverrides(PRESETS.seed, { noise: [0, 0.1] });
 * ```
 *
 * @module
 */

import { ConfigError, type Json } from "../core/mod.ts";

/** A fixed value, or a `[lo, hi]` range sampled uniformly per image. */
export type Param = number | readonly [number, number];

/**
 * How pixels outside the image are filled, for a row `a b c d`:
 * - `reflect`: `d c b a | a b c d | d c b a` — the edge pixel is repeated
 *   (Keras/TensorFlow `reflect`, SciPy `reflect`, NumPy `symmetric`);
 * - `nearest`: `a a a a | a b c d | d d d d`;
 * - `constant`: `k k k k | a b c d | k k k k` with `k = fillValue`;
 * - `wrap`: `a b c d | a b c d | a b c d`.
 */
export type FillMode = "reflect" | "nearest" | "constant" | "wrap";

/** All fill modes. */
export const FILL_MODES: readonly FillMode[] = [
  "reflect",
  "nearest",
  "constant",
  "wrap",
];

/**
 * `once`: the geometric steps composed into one affine map and resampled
 * once (sharpest). `per-layer`: resampled after each step, as Keras'
 * sequential layers do — each bilinear pass blurs a little, which makes
 * the digits slightly easier for a dense net (README, "Results").
 */
export type ResampleMode = "once" | "per-layer";

/** Both resampling modes. */
export const RESAMPLE_MODES: readonly ResampleMode[] = ["once", "per-layer"];

/** `add`: `v + b` (Keras RandomBrightness); `multiply`: `v · b`. */
export type BrightnessMode = "add" | "multiply";

/** Both brightness modes. */
export const BRIGHTNESS_MODES: readonly BrightnessMode[] = ["add", "multiply"];

/**
 * Every parameter of the transform. Geometry is applied as one affine map
 * about the image centre, composed in the order rotation → shear →
 * translation → zoom (Keras' layer order, with shear where Keras 2's
 * `ImageDataGenerator` puts it), and resampled once, bilinearly. Then, on
 * the [0, 1] scale: brightness (clipped to [0, 1]), Gaussian blur,
 * Gaussian noise, speckle, salt-and-pepper, and a final clip.
 */
export interface AugmentConfig {
  /** Degrees; positive turns the digit counter-clockwise (as Keras). */
  rotation: Param;
  /** Shear angle in degrees; positive leans the top of the digit right. */
  shear: Param;
  /** Horizontal shift as a fraction of the width; positive moves right. */
  translateX: Param;
  /** Vertical shift as a fraction of the height; positive moves down. */
  translateY: Param;
  /** Vertical zoom factor; > 1 zooms out (the digit shrinks), as Keras. */
  zoomY: Param;
  /** Horizontal zoom factor, or `same` to reuse `zoomY`'s draw (Keras). */
  zoomX: Param | "same";
  /** How samples outside the image are filled. */
  fill: FillMode;
  /** One resample per image, or one per geometric step (Keras). */
  resample: ResampleMode;
  /** Intensity in [0, 1] used by the `constant` fill mode. */
  fillValue: number;
  /** Brightness offset (`add`, [0, 1] scale) or factor (`multiply`). */
  brightness: Param;
  /** Whether {@link AugmentConfig.brightness} adds or multiplies. */
  brightnessMode: BrightnessMode;
  /** Gaussian blur σ in pixels (0 = none). */
  blur: Param;
  /** Additive Gaussian noise σ on the [0, 1] scale (0 = none). */
  noise: Param;
  /** Speckle (multiplicative Gaussian) noise σ: `v + v·σ·N(0,1)`. */
  speckle: Param;
  /** Salt-and-pepper probability per pixel, half salt, half pepper. */
  saltPepper: Param;
}

/** The names of the built-in presets. */
export type PresetName = "seed" | "keras" | "none";

/** The built-in presets' names. */
export const PRESET_NAMES: readonly PresetName[] = ["seed", "keras", "none"];

/** The identity transform: every image comes out unchanged. */
const NONE: Readonly<AugmentConfig> = Object.freeze({
  rotation: 0,
  shear: 0,
  translateX: 0,
  translateY: 0,
  zoomY: 1,
  zoomX: "same",
  fill: "reflect",
  resample: "once",
  fillValue: 0,
  brightness: 0,
  brightnessMode: "add",
  blur: 0,
  noise: 0,
  speckle: 0,
  saltPepper: 0,
});

/**
 * The original study's generator (Keras 3): `RandomRotation(0.2)` (±0.2
 * turns = ±72°), `RandomTranslation(0.2, 0.2)`, `RandomZoom((0.2, 0.2))`
 * (zoom-out by exactly 1.2 on both axes) and `RandomBrightness(0.2)` (±0.2
 * on the [0, 1] scale), reflect fill, bilinear.
 */
const SEED: Readonly<AugmentConfig> = Object.freeze({
  ...NONE,
  rotation: [-72, 72] as const,
  translateX: [-0.2, 0.2] as const,
  translateY: [-0.2, 0.2] as const,
  zoomY: 1.2,
  zoomX: "same" as const,
  brightness: [-0.2, 0.2] as const,
});

/**
 * The seed preset resampled once per geometric step, as the study's
 * sequential Keras layers did: a little blurrier, and measurably closer to
 * the study's dense-net accuracy (README, "Results").
 */
const KERAS: Readonly<AugmentConfig> = Object.freeze({
  ...SEED,
  resample: "per-layer" as const,
});

/** The built-in presets; `seed` is the default. */
export const PRESETS: Readonly<Record<PresetName, Readonly<AugmentConfig>>> =
  Object.freeze({ seed: SEED, keras: KERAS, none: NONE });

/** The preset used when none is named. */
export const DEFAULT_PRESET: PresetName = "seed";

/** The preset called `name`; an unknown name is a {@link ConfigError}. */
export function presetConfig(name: string): AugmentConfig {
  if (!Object.hasOwn(PRESETS, name)) {
    throw new ConfigError(
      "preset",
      `unknown preset "${name}" (expected one of: ${PRESET_NAMES.join(", ")})`,
    );
  }
  return { ...PRESETS[name as PresetName] };
}

/** `base` with some parameters replaced. */
export function withOverrides(
  base: Readonly<AugmentConfig>,
  overrides: Partial<AugmentConfig>,
): AugmentConfig {
  const config = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) {
      (config as Record<string, unknown>)[key] = value;
    }
  }
  return config;
}

/** The numeric parameters, which all share the fixed-or-range syntax. */
export type NumericParamName =
  | "rotation"
  | "shear"
  | "translateX"
  | "translateY"
  | "zoomY"
  | "blur"
  | "noise"
  | "speckle"
  | "saltPepper"
  | "brightness";

/** Allowed values of one numeric parameter. */
export interface ParamRule {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Values must be strictly greater than `min`. */
  exclusiveMin?: boolean;
}

/**
 * Rules per numeric parameter. Limits keep the transform meaningful: a
 * probability above 1 or a negative σ is a mistake, not a strong setting.
 */
export const PARAM_RULES: Readonly<Record<NumericParamName, ParamRule>> = {
  rotation: {},
  shear: { min: -89, max: 89 },
  translateX: { min: -1, max: 1 },
  translateY: { min: -1, max: 1 },
  zoomY: { min: 0, exclusiveMin: true, max: 10 },
  brightness: { min: -1, max: 10 },
  blur: { min: 0, max: 5 },
  noise: { min: 0, max: 1 },
  speckle: { min: 0, max: 2 },
  saltPepper: { min: 0, max: 1 },
};

function describeParam(value: Param): string {
  return typeof value === "number" ? String(value) : `${value[0]},${value[1]}`;
}

/** Check one number against a rule; throws a {@link ConfigError}. */
function checkNumber(
  value: number,
  rule: ParamRule,
  field: string,
  shown: string,
): void {
  if (!Number.isFinite(value)) {
    throw new ConfigError(field, `expected a number, got "${shown}"`);
  }
  if (rule.min !== undefined) {
    if (rule.exclusiveMin ? value <= rule.min : value < rule.min) {
      throw new ConfigError(
        field,
        `must be ${rule.exclusiveMin ? ">" : "≥"} ${rule.min}, got ${shown}`,
      );
    }
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(field, `must be ≤ ${rule.max}, got ${shown}`);
  }
}

/**
 * Check a {@link Param} of config field `field` against a rule; throws a
 * {@link ConfigError} naming the field.
 */
export function checkParam(value: Param, rule: ParamRule, field: string): void {
  const shown = describeParam(value);
  if (typeof value === "number") {
    checkNumber(value, rule, field, shown);
    return;
  }
  if (!Array.isArray(value) || value.length !== 2) {
    throw new ConfigError(field, "expected a number or LO,HI");
  }
  checkNumber(value[0], rule, field, shown);
  checkNumber(value[1], rule, field, shown);
  if (value[0] > value[1]) {
    throw new ConfigError(
      field,
      `range ${shown} has LO > HI (write LO,HI with LO ≤ HI)`,
    );
  }
}

function checkChoice(
  field: string,
  value: string,
  choices: readonly string[],
): void {
  if (!choices.includes(value)) {
    throw new ConfigError(
      field,
      `unknown value "${value}" (expected one of: ${choices.join(", ")})`,
    );
  }
}

/**
 * Parse the value of parameter `field`: `V` (fixed) or `LO,HI` (uniform
 * range per image). A malformed value is a {@link ConfigError} naming
 * `field`.
 *
 * ```ts
 * parseParam("-30,30", "rotation"); // [-30, 30]
 * parseParam("1.2", "zoomY"); // 1.2
 * ```
 */
export function parseParam(text: string, field: string): Param {
  const parts = text.split(",").map((part) => part.trim());
  const numbers = parts.map((part) => (part === "" ? NaN : Number(part)));
  if (parts.length > 2 || numbers.some((n) => !Number.isFinite(n))) {
    throw new ConfigError(
      field,
      `expected a number or a range LO,HI, got "${text}"`,
    );
  }
  return numbers.length === 1 ? numbers[0] : [numbers[0], numbers[1]];
}

/**
 * Check every parameter of a config; the first problem is a
 * {@link ConfigError} naming the field (e.g. `saltPepper`).
 */
export function validateAugmentConfig(config: AugmentConfig): void {
  for (const name of Object.keys(PARAM_RULES) as NumericParamName[]) {
    checkParam(config[name], PARAM_RULES[name], name);
  }
  if (config.zoomX !== "same") {
    checkParam(config.zoomX, PARAM_RULES.zoomY, "zoomX");
  }
  checkChoice("fill", config.fill, FILL_MODES);
  checkChoice("resample", config.resample, RESAMPLE_MODES);
  checkChoice("brightnessMode", config.brightnessMode, BRIGHTNESS_MODES);
  if (config.brightnessMode === "multiply") {
    checkParam(
      config.brightness,
      { ...PARAM_RULES.brightness, min: 0 },
      "brightness",
    );
  }
  const fillValue = config.fillValue;
  checkNumber(fillValue, { min: 0, max: 1 }, "fillValue", String(fillValue));
}

/** A config as plain JSON (for manifests): ranges become `[lo, hi]`. */
export function configToJson(config: AugmentConfig): { [key: string]: Json } {
  const json: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(config)) {
    json[key] = Array.isArray(value) ? [value[0], value[1]] : value;
  }
  return json;
}

/** True when a parameter can only ever take the value `identity`. */
export function isFixedAt(value: Param, identity: number): boolean {
  return typeof value === "number"
    ? value === identity
    : value[0] === identity && value[1] === identity;
}

/**
 * The command line of `scripts/augment.ts`: the flags over the augment
 * config (which flag sets which {@link AugmentConfig} field) and the
 * config they describe.
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  seedFlag,
  type StringFlag,
} from "./flags.ts";
import {
  type AugmentConfig,
  BRIGHTNESS_MODES,
  DEFAULT_PRESET,
  defaultWorkerCount,
  FILL_MODES,
  type NumericParamName,
  PARAM_RULES,
  parseParam,
  PRESET_NAMES,
  presetConfig,
  RESAMPLE_MODES,
} from "../augment/mod.ts";

/** A parameter flag: `V` or `LO,HI` for config field `field`. */
function param<F extends NumericParamName | "zoomX">(
  field: F,
  meaning: string,
): StringFlag & { field: F } {
  const rule =
    PARAM_RULES[field === "zoomX" ? "zoomY" : field as NumericParamName];
  const lo = rule.min === undefined ? "" : rule.exclusiveMin ? "(" : "[";
  const range = rule.min === undefined || rule.max === undefined
    ? ""
    : `; in ${lo}${rule.min}, ${rule.max}]`;
  return {
    type: "string",
    valueName: "V|LO,HI",
    field,
    description: meaning + range,
  };
}

/** The parameter flags, by flag name. */
const PARAM_FLAGS = {
  rotation: param("rotation", "rotation in degrees, + = CCW"),
  shear: param("shear", "shear angle in degrees, + leans the top right"),
  "translate-x": param(
    "translateX",
    "horizontal shift, fraction of the width, + = right",
  ),
  "translate-y": param(
    "translateY",
    "vertical shift, fraction of the height, + = down",
  ),
  zoom: param(
    "zoomY",
    "zoom factor, both axes unless --zoom-x is given; >1 zooms out",
  ),
  brightness: param(
    "brightness",
    "brightness offset ([0,1] scale) or factor, see --brightness-mode",
  ),
  blur: param("blur", "Gaussian blur σ in pixels"),
  noise: param("noise", "Gaussian noise σ on the [0,1] scale"),
  speckle: param("speckle", "speckle noise σ (v + v·σ·N(0,1))"),
  "salt-pepper": param("saltPepper", "salt-and-pepper probability per pixel"),
  "zoom-x": param(
    "zoomX",
    "horizontal zoom factor (default: same draw as --zoom)",
  ),
};

/** The flags and `--help` of `deno task augment`. */
export const AUGMENT_SCRIPT = defineScript({
  usage: "deno task augment [flags]",
  summary: `
Transform <data-dir>/mnist/ into <data-dir>/noisy/: four gzip'd IDX files
(uint8), samples.png (test digits, clean above noisy) and manifest.json.
Skipped when up to date (same parameters and inputs, outputs unchanged).

The preset sets every parameter; parameter flags override it. A parameter
is V (fixed) or LO,HI (uniform per image), e.g. --rotation 30 or
--rotation -30,30 (also --rotation=-30,30). Intensities are on the [0, 1]
scale.
Preset seed (the study's Keras layers): --rotation=-72,72
--translate-x=-0.2,0.2 --translate-y=-0.2,0.2 --zoom 1.2
--brightness=-0.2,0.2, reflect fill. Preset keras: the same,
resampled once per layer as Keras does. Preset none: the identity.`,
  flags: {
    preset: {
      type: "choice",
      choices: PRESET_NAMES,
      noun: "preset",
      valueName: "NAME",
      default: DEFAULT_PRESET,
      description:
        "seed (the study's transform, one resample), keras (the same, one resample per layer as Keras) or none (identity)",
    },
    seed: seedFlag(42, "random seed"),
    ...PARAM_FLAGS,
    fill: {
      type: "choice",
      choices: FILL_MODES,
      valueName: "MODE",
      description:
        "fill outside the image: reflect (d c b a|a b c d, edge repeated, Keras), nearest, constant, wrap",
    },
    resample: {
      type: "choice",
      choices: RESAMPLE_MODES,
      valueName: "MODE",
      description:
        "once (one composed affine map per image) or per-layer (one resample per step, as Keras' sequential layers)",
    },
    "fill-value": {
      type: "number",
      min: 0,
      max: 1,
      field: "fillValue",
      valueName: "V",
      description: "intensity for --fill constant",
    },
    "brightness-mode": {
      type: "choice",
      choices: BRIGHTNESS_MODES,
      field: "brightnessMode",
      valueName: "MODE",
      description: "add (v + b, clipped) or multiply (v · b, clipped)",
    },
    limit: {
      type: "int",
      min: 1,
      description: "only the first N images of each split (quick runs)",
    },
    workers: {
      type: "int",
      min: 1,
      max: 256,
      default: defaultWorkerCount(),
      description: "threads; never changes the output",
    },
    "data-dir": DATA_DIR_FLAG,
    force: { type: "boolean", description: "run even if up to date" },
  },
});

/** The parsed flags of `deno task augment`. */
export type AugmentFlags = FlagValues<typeof AUGMENT_SCRIPT.flags>;

/**
 * The config the flags describe: the preset, then every parameter flag
 * that was given. A malformed parameter is a `ConfigError` naming its
 * field, which `runMain` shows as the flag.
 */
export function augmentConfig(flags: AugmentFlags): AugmentConfig {
  const config = presetConfig(flags.preset);
  for (const flag of Object.keys(PARAM_FLAGS) as (keyof typeof PARAM_FLAGS)[]) {
    const text = flags[flag];
    const { field } = PARAM_FLAGS[flag];
    if (text !== undefined) config[field] = parseParam(text, field);
  }
  config.fill = flags.fill ?? config.fill;
  config.resample = flags.resample ?? config.resample;
  config.brightnessMode = flags["brightness-mode"] ?? config.brightnessMode;
  config.fillValue = flags["fill-value"] ?? config.fillValue;
  return config;
}

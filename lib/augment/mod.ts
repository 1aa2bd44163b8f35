/**
 * Stage 2, `augment`: the study's transform of clean MNIST into the noisy
 * dataset (rotation, translation, zoom, brightness composed into one affine
 * map, resampled once, plus optional pixel corruptions), driven by keyed
 * random streams so each image's parameters depend only on (seed, split,
 * index); a Worker pool to use both cores; the `samples.png` contact sheet.
 *
 * @module
 */

export * from "./augment.ts";
export {
  type AugmentConfig,
  BRIGHTNESS_MODES,
  type BrightnessMode,
  configToJson,
  DEFAULT_PRESET,
  FILL_MODES,
  type FillMode,
  type NumericParamName,
  type Param,
  PARAM_RULES,
  type ParamRule,
  parseParam,
  PRESET_NAMES,
  presetConfig,
  type PresetName,
  PRESETS,
  RESAMPLE_MODES,
  type ResampleMode,
  validateAugmentConfig,
  withOverrides,
} from "./config.ts";
export * from "./corruptions.ts";
export { AugmentPool, defaultWorkerCount } from "./pool.ts";
export * from "./samples.ts";
export * from "./stage.ts";
export * from "./warp.ts";
export * from "./mix/mod.ts";

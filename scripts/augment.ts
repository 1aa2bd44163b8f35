/**
 * Stage 2 of the pipeline: transform clean MNIST into the noisy dataset.
 *
 *     deno task augment [--preset seed|none] [--seed N] [--rotation=-30,30]
 *       [--limit N] [--workers N] [--data-dir DIR] [--force]
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  resolveDataDir,
  runMain,
  type StringFlag,
} from "../lib/cli/flags.ts";
import {
  type AugmentConfig,
  BRIGHTNESS_MODES,
  DEFAULT_PRESET,
  FILL_MODES,
  type NumericParamName,
  PARAM_RULES,
  paramFlagDescriptions,
  parseParam,
  presetConfig,
  PRESETS,
  RESAMPLE_MODES,
} from "../lib/augment/config.ts";
import { defaultWorkerCount } from "../lib/augment/pool.ts";
import { runAugmentStage } from "../lib/augment/stage.ts";
import { logLine, ProgressBar } from "../lib/core/progress.ts";
import type { Split } from "../lib/data/mnist.ts";

const paramFlags: Record<string, StringFlag> = Object.fromEntries(
  Object.entries(paramFlagDescriptions()).map(([flag, meaning]) => [
    flag,
    { type: "string", valueName: "V|LO,HI", description: meaning },
  ]),
);

const info = defineScript({
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
      choices: Object.keys(PRESETS) as (keyof typeof PRESETS)[],
      noun: "preset",
      valueName: "NAME",
      default: DEFAULT_PRESET,
      description:
        "seed (the study's transform, one resample), keras (the same, one resample per layer as Keras) or none (identity)",
    },
    seed: {
      type: "int",
      valueName: "N",
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      default: 42,
      description: "random seed",
    },
    ...paramFlags,
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
      valueName: "V",
      description: "intensity in [0, 1] for --fill constant",
    },
    "brightness-mode": {
      type: "choice",
      choices: BRIGHTNESS_MODES,
      valueName: "MODE",
      description: "add (v + b, clipped) or multiply (v · b, clipped)",
    },
    limit: {
      type: "int",
      min: 1,
      valueName: "N",
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

/** The config: the preset, then every parameter flag that was given. */
function configFromFlags(flags: FlagValues<typeof info.flags>): AugmentConfig {
  const config = presetConfig(flags.preset);
  const params = flags as Record<string, unknown>;
  for (const name of Object.keys(PARAM_RULES) as NumericParamName[]) {
    const flag = PARAM_RULES[name].flag;
    const text = params[flag];
    if (typeof text === "string") config[name] = parseParam(text, flag);
  }
  const zoomX = params["zoom-x"];
  if (typeof zoomX === "string") config.zoomX = parseParam(zoomX, "zoom-x");
  config.fill = flags.fill ?? config.fill;
  config.resample = flags.resample ?? config.resample;
  config.brightnessMode = flags["brightness-mode"] ?? config.brightnessMode;
  config.fillValue = flags["fill-value"] ?? config.fillValue;
  return config;
}

runMain(info, async (flags) => {
  const { preset, seed, limit, workers } = flags;
  const config = configFromFlags(flags);
  let bar: ProgressBar | undefined;
  let barSplit: Split | undefined;
  const result = await runAugmentStage({
    dataDir: resolveDataDir(flags["data-dir"]),
    preset,
    config,
    seed,
    limit,
    workers,
    force: flags.force,
    onProgress: (split, done, total) => {
      if (split !== barSplit) {
        bar?.finish();
        barSplit = split;
        bar = new ProgressBar({
          label: `augment ${split}`,
          total,
          itemName: "img",
        });
      }
      bar?.update(done);
    },
  });
  bar?.finish();
  if (result.status === "up to date") {
    logLine(`augment: up to date (${result.outDir})`);
    return;
  }
  const { timings, images } = result;
  const rate = (n: number) => Math.round(n).toLocaleString("en-US");
  logLine(
    `augment: ${images} images (${preset}, seed ${seed}) → ${result.outDir} in ${
      timings.total.toFixed(2)
    } s: transform ${timings.transform.toFixed(2)} s (${
      rate(images / timings.transform)
    } img/s), gzip ${timings.gzip.toFixed(2)} s, load ${
      timings.load.toFixed(2)
    } s, write ${timings.write.toFixed(2)} s (ran because: ${result.reason})`,
  );
});

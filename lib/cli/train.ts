/**
 * The command line shared by `scripts/train_dense.ts` and
 * `scripts/train_cnn.ts`: flags over the model's recipe, a progress bar
 * per epoch, one summary line per epoch, Ctrl-C to stop with a checkpoint.
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  resolveDataDir,
  seedFlag,
} from "./flags.ts";
import { listenForStop } from "./interrupt.ts";
import { BACKENDS } from "../kernels/mod.ts";
import {
  type EpochRecord,
  type FreshAugmentation,
  INPUT_SCALES,
  type ModelName,
  type Recipe,
  RECIPE_FAMILIES,
  recipeName,
  RECIPES,
  runTrainStage,
  SCHEDULE_NAMES,
  type ScheduleName,
  scheduleName,
  withSchedule,
} from "../train/mod.ts";
import { DEFAULT_PRESET, MIX_NAMES } from "../augment/mod.ts";
import { KeyedProgress, logLine, UsageError } from "../core/mod.ts";

/** The flags and `--help` of `train:<model>`; defaults from its recipe. */
export function trainScript(model: ModelName) {
  // The robust recipe shares every default below with the study's except
  // the input scale and the augmentation, whose flags have no fixed default.
  const recipe = RECIPES[model];
  const robust = RECIPES[recipeName(model, "robust")];
  return defineScript({
    usage: `deno task train:${model} [flags]`,
    summary: `
Train the study's ${model} network on <data-dir>/noisy/, evaluate it on the
noisy and the clean MNIST test split, and write the model, history.json,
metrics.json and manifest.json to <data-dir>/models/${model}/. Skipped when
up to date. Ctrl-C stops after the current batch with a checkpoint that
--resume continues.

--recipe robust trains ${model}-robust into <data-dir>/models/${model}-robust/
instead: fresh augmentation every epoch (the study's transform made anew
from clean MNIST, then the corruption mix) and ${robust.inputs} inputs;
validation and test sets stay the fixed noisy copies. --augment, --mix and
--inputs switch its ingredients off one by one (they are part of the run's
identity).`,
    flags: {
      recipe: {
        type: "choice",
        choices: RECIPE_FAMILIES,
        valueName: "NAME",
        description:
          `study (models/${model}/) or robust (models/${model}-robust/)`,
        default: "study",
      },
      augment: {
        type: "choice",
        choices: ["fresh", "fixed"],
        valueName: "MODE",
        description:
          "fresh: new training images every epoch from clean MNIST (robust's default); fixed: the noisy/ copy (study's default)",
      },
      mix: {
        type: "choice",
        choices: MIX_NAMES,
        valueName: "NAME",
        description:
          `corruption mix after the transform, with fresh augmentation (robust's default: ${robust.augmentation?.mix}; else none)`,
      },
      upright: {
        type: "number",
        min: 0,
        max: 0.99,
        valueName: "SHARE",
        description:
          `share of fresh images left out of the transform (clean upright digits; the mix still applies); default: robust ${
            robust.augmentation?.upright ?? 0
          }, else 0`,
      },
      epochs: {
        type: "int",
        min: 1,
        description: "maximum epochs",
        default: recipe.epochs,
      },
      "batch-size": {
        type: "int",
        min: 1,
        field: "batchSize",
        description: "images per step",
        default: recipe.batchSize,
      },
      lr: {
        type: "number",
        min: 1e-9,
        max: 10,
        field: "learningRate",
        valueName: "RATE",
        description: "initial learning rate",
        default: recipe.learningRate,
      },
      schedule: {
        type: "choice",
        choices: SCHEDULE_NAMES,
        valueName: "NAME",
        description:
          `learning-rate schedule: plateau (halve after 3 epochs without a lower validation loss), cosine (a half cosine down to 1e-5 over --epochs) or none; default: study ${
            scheduleName(recipe)
          }, robust ${scheduleName(robust)}`,
      },
      seed: seedFlag(
        recipe.seed,
        "seed of weights, hold-out, shuffles, dropout",
      ),
      inputs: {
        type: "choice",
        choices: INPUT_SCALES,
        valueName: "SCALE",
        description:
          `standardized (zero mean, unit variance over the training images), per-image (each image by its own mean and std) or unit (pixels / 255, as the study); default: study ${recipe.inputs}, robust ${robust.inputs}`,
      },
      workers: {
        type: "int",
        min: 1,
        max: 16,
        field: "replicas",
        description:
          "replicas training data-parallel (part of the result's identity)",
        default: recipe.replicas,
      },
      limit: {
        type: "int",
        min: 10,
        description: "train on the first N training images only (quick runs)",
      },
      backend: {
        type: "choice",
        choices: [...BACKENDS, "auto"],
        noun: "backend",
        valueName: "NAME",
        description: "tfjs backend; auto: the fastest that works",
        default: "auto",
      },
      resume: {
        type: "boolean",
        description: "continue an interrupted run from its checkpoint",
      },
      force: { type: "boolean", description: "retrain even if up to date" },
      "data-dir": DATA_DIR_FLAG,
    },
  });
}

/** The parsed flags of a training script. */
export type TrainFlags = FlagValues<ReturnType<typeof trainScript>["flags"]>;

/** Format a learning rate compactly: `1e-3`, `5e-4`. */
/**
 * The line logged after each epoch: loss and accuracy on the training
 * batches and the validation hold-out, the learning rate, time and speed.
 */
export function epochLine(e: EpochRecord, epochs: number): string {
  return `epoch ${String(e.epoch).padStart(2)}/${epochs}  loss ${
    e.loss.toFixed(4)
  }  acc ${e.accuracy.toFixed(4)}  val_loss ${e.valLoss.toFixed(4)}  val_acc ${
    e.valAccuracy.toFixed(4)
  }  lr ${formatRate(e.lr)}  ${e.seconds.toFixed(1)} s  ${
    Math.round(e.imagesPerSecond).toLocaleString("en-US")
  } img/s`;
}

function formatRate(rate: number): string {
  // Three significant digits: a cosine schedule's rates are not round.
  return Number(rate.toPrecision(3)).toExponential().replace(/\.?0+e/, "e")
    .replace("e+", "e");
}

/**
 * The fresh augmentation the flags ask for over the recipe's own, or
 * undefined for the fixed noisy copy.
 */
function augmentationFromFlags(
  base: Recipe,
  flags: TrainFlags,
): FreshAugmentation | undefined {
  const mode = flags.augment ?? (base.augmentation ? "fresh" : "fixed");
  if (mode === "fixed") {
    for (const flag of ["mix", "upright"] as const) {
      if (flags[flag] !== undefined) {
        throw new UsageError(
          `--${flag} applies to fresh augmentation only: drop --${flag} or add --augment fresh`,
        );
      }
    }
    return undefined;
  }
  const { upright: _, ...augmentation } = base.augmentation ??
    { fresh: true, preset: DEFAULT_PRESET, mix: "none" };
  const mix = flags.mix ?? augmentation.mix;
  // An upright share of 0 is the key's absence, so it names the same run.
  const upright = flags.upright ?? base.augmentation?.upright ?? 0;
  return { ...augmentation, mix, ...(upright > 0 ? { upright } : {}) };
}

/**
 * `recipe` with the schedule `--schedule` names, or as it is without the
 * flag (so a study recipe's JSON, key order included, is unchanged).
 */
function scheduled(recipe: Recipe, name: ScheduleName | undefined): Recipe {
  if (name === undefined) return recipe;
  const { reduceLrOnPlateau: _, cosineDecay: __, ...rest } = recipe;
  return { ...rest, ...withSchedule(name) };
}

/**
 * The recipe a training script's flags ask for: the named recipe with the
 * flags laid over it. A study recipe without augmentation flags keeps no
 * `augmentation` key at all, so its JSON (and its manifest) is unchanged.
 */
export function recipeFromFlags(model: ModelName, flags: TrainFlags): Recipe {
  const named = RECIPES[recipeName(model, flags.recipe)];
  const { augmentation: _, ...base } = scheduled(named, flags.schedule);
  const augmentation = augmentationFromFlags(named, flags);
  return {
    ...base,
    epochs: flags.epochs,
    batchSize: flags["batch-size"],
    learningRate: flags.lr,
    seed: flags.seed,
    replicas: flags.workers,
    inputs: flags.inputs ?? base.inputs,
    ...(augmentation ? { augmentation } : {}),
  };
}

/**
 * Run a training script for `model` with its parsed flags; resolves to
 * the exit code (0 done or up to date, 130 interrupted).
 */
export async function runTrainScript(
  model: ModelName,
  flags: TrainFlags,
): Promise<number> {
  const name = recipeName(model, flags.recipe);
  const recipe = recipeFromFlags(model, flags);

  let evaluating = false;
  const finishing =
    "finishing the evaluation and saving the model (Ctrl-C again to abort without saving it)";
  const stop = listenForStop(() =>
    evaluating
      ? `training is over; ${finishing}`
      : "stopping after this batch and saving a checkpoint (Ctrl-C again to abort)"
  );
  const bars = new KeyedProgress((label: string, total) => ({
    label,
    total,
    itemName: "img",
  }));
  try {
    const result = await runTrainStage({
      model,
      name,
      recipe,
      dataDir: resolveDataDir(flags["data-dir"]),
      limit: flags.limit,
      backend: flags.backend,
      resume: flags.resume,
      force: flags.force,
      onLog: logLine,
      shouldStop: stop.requested,
      onEvaluating: () => {
        evaluating = true;
        if (stop.requested()) {
          logLine(`training ended before it could stop; ${finishing}`);
        }
      },
      onBatch: (p, imagesPerEpoch) => {
        bars.update(
          `epoch ${p.epoch}/${p.epochs}`,
          Math.min(p.batch * recipe.batchSize, imagesPerEpoch),
          imagesPerEpoch,
          `batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${
            p.accuracy.toFixed(4)
          }`,
        );
      },
      onEpoch: (e) => {
        bars.finish();
        logLine(epochLine(e, recipe.epochs));
      },
    });
    bars.finish();
    switch (result.status) {
      case "up to date":
        logLine(`train:${name}: up to date (${result.dir}; --force retrains)`);
        return 0;
      case "interrupted":
        logLine(
          `train:${name}: interrupted; checkpoint saved to ${result.checkpoint}; continue with --resume`,
        );
        return 130;
      case "trained": {
        const m = result.metrics;
        logLine(
          `train:${name}: noisy test acc ${
            (m.test.noisy.accuracy * 100).toFixed(2)
          } %, clean test acc ${
            (m.test.clean.accuracy * 100).toFixed(2)
          } %, ${m.epochsRun} epochs (best ${m.bestEpoch}), ${
            m.trainSeconds.toFixed(0)
          } s training, ${
            Math.round(m.imagesPerSecond).toLocaleString("en-US")
          } img/s → ${result.dir}`,
        );
        return 0;
      }
    }
  } finally {
    stop.dispose();
  }
}

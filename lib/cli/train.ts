/**
 * The command line shared by `scripts/train_dense.ts` and
 * `scripts/train_cnn.ts`: flags over the model's recipe, a progress bar
 * per epoch, one summary line per epoch, Ctrl-C to stop with a checkpoint.
 *
 * @module
 */

import {
  choiceFlag,
  DATA_DIR_FLAG,
  numberFlag,
  parseFlags,
  resolveDataDir,
  type ScriptInfo,
  stringFlag,
} from "./flags.ts";
import { parseBackendName } from "../kernels/mod.ts";
import type { ModelName } from "../train/mod.ts";
import { logLine, ProgressBar } from "../core/mod.ts";
import { INPUT_SCALES, type Recipe, RECIPES } from "../train/mod.ts";
import { runTrainStage } from "../train/mod.ts";

function info(model: ModelName): ScriptInfo {
  const recipe = RECIPES[model];
  return {
    usage: `deno task train:${model} [flags]`,
    summary: `
Train the study's ${model} network on <data-dir>/noisy/, evaluate it on the
noisy and the clean MNIST test split, and write the model, history.json,
metrics.json and manifest.json to <data-dir>/models/${model}/. Skipped when
up to date. Ctrl-C stops after the current batch with a checkpoint that
--resume continues.`,
    flags: {
      epochs: {
        type: "string",
        valueName: "N",
        description: "maximum epochs",
        default: String(recipe.epochs),
      },
      "batch-size": {
        type: "string",
        valueName: "N",
        description: "images per step",
        default: String(recipe.batchSize),
      },
      lr: {
        type: "string",
        valueName: "RATE",
        description: "initial learning rate",
        default: String(recipe.learningRate),
      },
      seed: {
        type: "string",
        valueName: "N",
        description: "seed of weights, hold-out, shuffles, dropout",
        default: String(recipe.seed),
      },
      inputs: {
        type: "string",
        valueName: "SCALE",
        description:
          "standardized (zero mean, unit variance over the training images) or unit (pixels / 255, as the study)",
        default: recipe.inputs,
      },
      workers: {
        type: "string",
        valueName: "N",
        description:
          "replicas training data-parallel (part of the result's identity)",
        default: String(recipe.replicas),
      },
      limit: {
        type: "string",
        valueName: "N",
        description: "train on the first N training images only (quick runs)",
      },
      backend: {
        type: "string",
        valueName: "NAME",
        description: "wasm, cpu or auto (the fastest that works)",
        default: "auto",
      },
      resume: {
        type: "boolean",
        description: "continue an interrupted run from its checkpoint",
      },
      force: { type: "boolean", description: "retrain even if up to date" },
      "data-dir": DATA_DIR_FLAG,
    },
  };
}

/** Format a learning rate compactly: `1e-3`, `5e-4`. */
function formatRate(rate: number): string {
  return rate.toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
}

/**
 * Run a training script for `model` with `args`; resolves to the exit
 * code (0 done or up to date, 130 interrupted).
 */
export async function runTrainScript(
  model: ModelName,
  args: string[],
): Promise<number> {
  const flags = parseFlags(args, info(model));
  if (!flags) return 0;
  const defaults = RECIPES[model];
  const recipe: Recipe = {
    ...defaults,
    epochs: numberFlag(flags, "epochs", { integer: true, min: 1 }) ??
      defaults.epochs,
    batchSize: numberFlag(flags, "batch-size", { integer: true, min: 1 }) ??
      defaults.batchSize,
    learningRate: numberFlag(flags, "lr", { min: 1e-9, max: 10 }) ??
      defaults.learningRate,
    seed:
      numberFlag(flags, "seed", { integer: true, min: 0, max: 2 ** 31 - 1 }) ??
        defaults.seed,
    replicas:
      numberFlag(flags, "workers", { integer: true, min: 1, max: 16 }) ??
        defaults.replicas,
    inputs: choiceFlag(flags, "inputs", INPUT_SCALES) ?? defaults.inputs,
  };
  const limit = numberFlag(flags, "limit", { integer: true, min: 10 });
  const backend = parseBackendName(stringFlag(flags, "backend"));

  let stopRequested = false;
  let evaluating = false;
  const finishing =
    "finishing the evaluation and saving the model (Ctrl-C again to abort without saving it)";
  const onSigint = () => {
    if (stopRequested) Deno.exit(130);
    stopRequested = true;
    logLine(
      evaluating
        ? `\ntraining is over; ${finishing}`
        : "\nstopping after this batch and saving a checkpoint (Ctrl-C again to abort)",
    );
  };
  Deno.addSignalListener("SIGINT", onSigint);
  let bar: ProgressBar | undefined;
  try {
    const result = await runTrainStage({
      model,
      recipe,
      dataDir: resolveDataDir(flags["data-dir"]),
      limit,
      backend,
      resume: flags.resume === true,
      force: flags.force === true,
      onLog: logLine,
      shouldStop: () => stopRequested,
      onEvaluating: () => {
        evaluating = true;
        if (stopRequested) {
          logLine(`training ended before it could stop; ${finishing}`);
        }
      },
      onBatch: (p, imagesPerEpoch) => {
        if (p.batch === 1 || !bar) {
          bar = new ProgressBar({
            label: `epoch ${p.epoch}/${p.epochs}`,
            total: imagesPerEpoch,
            itemName: "img",
          });
        }
        bar.update(
          Math.min(p.batch * recipe.batchSize, imagesPerEpoch),
          `batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${
            p.accuracy.toFixed(4)
          }`,
        );
      },
      onEpoch: (e) => {
        bar?.finish();
        bar = undefined;
        logLine(
          `epoch ${String(e.epoch).padStart(2)}/${recipe.epochs}  loss ${
            e.loss.toFixed(4)
          }  acc ${e.accuracy.toFixed(4)}  val_loss ${
            e.valLoss.toFixed(4)
          }  val_acc ${e.valAccuracy.toFixed(4)}  lr ${formatRate(e.lr)}  ${
            e.seconds.toFixed(1)
          } s  ${Math.round(e.imagesPerSecond).toLocaleString("en-US")} img/s`,
        );
      },
    });
    bar?.finish();
    switch (result.status) {
      case "up to date":
        logLine(`train:${model}: up to date (${result.dir}; --force retrains)`);
        return 0;
      case "interrupted":
        logLine(
          `train:${model}: interrupted; checkpoint saved to ${result.checkpoint}; continue with --resume`,
        );
        return 130;
      case "trained": {
        const m = result.metrics;
        logLine(
          `train:${model}: noisy test acc ${
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
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

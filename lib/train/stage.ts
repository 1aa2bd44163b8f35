/**
 * Stage 3 (train:dense, train:cnn): load the noisy dataset, train a model
 * by its recipe, evaluate it on the noisy and the clean test split, and
 * write `model.json`, `weights.bin`, `history.json`, `metrics.json`,
 * `predictions.json` and `manifest.json` into `<data-dir>/models/<name>/`.
 *
 * @module
 */

import { join } from "node:path";
import {
  canonicalJson,
  exists,
  type Json,
  runStage,
  sha256Text,
  type StageContext,
  type StageWork,
  tf,
  writeJsonAtomic,
} from "../core/mod.ts";
import {
  type BackendInfo,
  type BackendName,
  initBackend,
} from "../kernels/mod.ts";
import {
  evaluateModel,
  type evaluateSplit,
  type SplitMetrics,
} from "../evaluate/mod.ts";
import {
  loadMnist,
  loadNoisy,
  type MnistSplit,
  mnistStageInputs,
  NOISY_FILES,
  takeFirst,
} from "../data/mod.ts";
import {
  INPUT_SHAPE,
  type InputStandardization,
  KERAS_PARAM_COUNTS,
  type ModelName,
} from "./models.ts";
import { saveModel } from "./model_io.ts";
import { mixSettings, resolveMix } from "./mix.ts";
import { type Recipe, type RecipeName, RECIPES } from "./recipes.ts";
import {
  type BatchProgress,
  type EpochRecord,
  train,
  type TrainResult,
} from "./train.ts";

/** The files a training stage writes, besides the model. */
export const TRAIN_OUTPUTS = {
  history: "history.json",
  metrics: "metrics.json",
  predictions: "predictions.json",
  checkpoint: "checkpoint.bin",
} as const;

/** `metrics.json`: what the report reads. */
export interface ModelMetrics {
  /** Which model. */
  model: ModelName;
  /** Which recipe (its folder under `models/`), when not the study's. */
  recipeName?: RecipeName;
  /** Parameters (tfjs count, BatchNorm statistics included, as Keras). */
  params: number;
  /** The recipe actually used. */
  recipe: Recipe;
  /** `--limit`, if training used only the first N images. */
  limit: number | null;
  /** The backend that trained it. */
  backend: string;
  /** The matrix product its custom kernels used. */
  gemm: string;
  /** tfjs version. */
  tfjs: string;
  /** Epochs completed. */
  epochsRun: number;
  /** 1-based epoch with the lowest validation loss. */
  bestEpoch: number;
  /** True when early stopping ended the run. */
  stoppedEarly: boolean;
  /** Seconds in training steps. */
  trainSeconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
  /** Inference images per second on the noisy test split (batch 1,000). */
  inferenceImagesPerSecond: number;
  /** Training / validation image counts. */
  counts: { train: number; validation: number };
  /**
   * The input layer's mean and std (of the training images' pixels) when
   * the recipe standardises inputs, else null.
   */
  inputStandardization: InputStandardization | null;
  /** Test metrics on the noisy and on the clean MNIST test split. */
  test: { noisy: SplitMetrics; clean: SplitMetrics };
}

/** Options of {@link runTrainStage}. */
export interface TrainStageOptions {
  /** Which model. */
  model: ModelName;
  /**
   * The recipe's name: the folder under `models/` and the stage's name
   * (`train:<name>`); default the model's name (the study's recipe).
   */
  name?: RecipeName;
  /** The recipe (defaults merged with flags). */
  recipe: Recipe;
  /** Artifact folder. */
  dataDir: string;
  /**
   * Where the model and its manifest go (default
   * `<dataDir>/models/<model>`); the study puts each seed's run in its own.
   */
  modelDir?: string;
  /** Train on the first N training images only. */
  limit?: number;
  /** Backend to use (`auto`: the fastest that works). */
  backend: BackendName | "auto";
  /**
   * Continue an interrupted run from its checkpoint (`"if-current"`: only
   * if it is this run's, else start over; see `TrainOptions.resume`).
   */
  resume?: boolean | "if-current";
  /** Retrain even if up to date. */
  force?: boolean;
  /** Progress within an epoch. */
  onBatch?: (progress: BatchProgress, imagesPerEpoch: number) => void;
  /** After each epoch. */
  onEpoch?: (record: EpochRecord) => void;
  /** One-line status messages. */
  onLog?: (line: string) => void;
  /** Polled between batches; true stops with a checkpoint. */
  shouldStop?: () => boolean;
  /** Training is over, evaluation starts (`shouldStop` is no longer read). */
  onEvaluating?: () => void;
}

/** What {@link runTrainStage} did. */
export type TrainStageResult =
  | { status: "up to date"; dir: string }
  | { status: "interrupted"; dir: string; checkpoint: string }
  | { status: "trained"; dir: string; metrics: ModelMetrics };

/**
 * Run the training stage for one model, skipping it when its manifest
 * matches today's parameters and inputs. Before training it checks the
 * noisy/ files against noisy/manifest.json and the mnist/ test files
 * against the pinned MNIST hashes, and loads every split it will use.
 */
export async function runTrainStage(
  options: TrainStageOptions,
): Promise<TrainStageResult> {
  const log = options.onLog ?? (() => {});
  const name = options.name ?? options.model;
  const dir = options.modelDir ?? join(options.dataDir, "models", name);
  const paths: TrainPaths = {
    name,
    dir,
    noisy: join(options.dataDir, "noisy"),
    mnist: join(options.dataDir, "mnist"),
    checkpoint: join(dir, TRAIN_OUTPUTS.checkpoint),
  };
  options = await checkedOptions(options, paths, log);
  // Fresh augmentation reads the clean training images too.
  const fresh = options.recipe.augmentation !== undefined;
  // The work returns the metrics, or the checkpoint's path when stopped.
  const run = await runStage<ModelMetrics, string>({
    stage: `train:${name}`,
    dir,
    params: trainStageParams(options),
    upstream: [{
      name: "noisy",
      dir: paths.noisy,
      task: "deno task augment",
      files: Object.values(NOISY_FILES).flatMap((f) => [f.images, f.labels]),
    }],
    inputs: mnistStageInputs(
      paths.mnist,
      fresh ? ["train", "test"] : ["test"],
    ),
    rerun: options.resume === true
      ? "--resume"
      : options.force
      ? "--force"
      : undefined,
    work: (context) => trainAndEvaluate(options, paths, context, log),
  });
  switch (run.status) {
    case "up to date":
      return { status: "up to date", dir };
    case "stopped":
      return { status: "interrupted", dir, checkpoint: run.value };
    case "done":
      await Deno.remove(paths.checkpoint).catch(() => {});
      return { status: "trained", dir, metrics: run.value };
  }
}

/**
 * The options as the stage runs them: the recipe must train the model it
 * is named for, its mix must exist (checked before any data is read), and
 * `--resume` with no checkpoint is a plain run (so an up-to-date model
 * stays up to date).
 */
async function checkedOptions(
  options: TrainStageOptions,
  { name, checkpoint }: TrainPaths,
  log: (line: string) => void,
): Promise<TrainStageOptions> {
  if (RECIPES[name].model !== options.model) {
    throw new RangeError(
      `recipe ${name} trains the ${
        RECIPES[name].model
      } model, not ${options.model}`,
    );
  }
  if (options.recipe.cosineDecay && options.recipe.reduceLrOnPlateau) {
    throw new RangeError(
      `recipe ${name} sets both cosineDecay and reduceLrOnPlateau; keep one learning-rate schedule`,
    );
  }
  const mix = options.recipe.augmentation?.mix;
  if (mix !== undefined) resolveMix(mix, INPUT_SHAPE[0], INPUT_SHAPE[1]);
  if (options.resume === true && !(await exists(checkpoint))) {
    log(
      `train:${name}: --resume: no checkpoint at ${checkpoint}; nothing to resume, running as without it`,
    );
    return { ...options, resume: false };
  }
  return options;
}

/** Where a training stage reads and writes. */
interface TrainPaths {
  /** The recipe's name (`cnn`, `cnn-robust`…), in log lines. */
  name: RecipeName;
  /** The model's folder. */
  dir: string;
  /** The noisy dataset's folder. */
  noisy: string;
  /** The clean MNIST folder. */
  mnist: string;
  /** The checkpoint an interrupted run leaves. */
  checkpoint: string;
}

/**
 * The stage's work: load and check every split, train (from the
 * checkpoint when resuming), evaluate on the noisy and clean test splits,
 * and save the model with its history, metrics and predictions.
 */
async function trainAndEvaluate(
  options: TrainStageOptions,
  paths: TrainPaths,
  { reason, params, inputs }: StageContext,
  log: (line: string) => void,
): Promise<StageWork<ModelMetrics, string>> {
  const { name, checkpoint } = paths;
  log(`train:${name}: training (${reason})`);
  const fingerprint = await sha256Text(canonicalJson({ params, inputs }));

  // Every split is loaded and checked before the first epoch: a bad or
  // missing test split must not surface only after hours of training.
  const fresh = options.recipe.augmentation !== undefined;
  const [fullTrain, noisyTest, cleanTest, fullClean] = await Promise.all([
    loadNoisy(paths.noisy, "train"),
    loadNoisy(paths.noisy, "test"),
    loadMnist(paths.mnist, "test"),
    fresh ? loadMnist(paths.mnist, "train") : undefined,
  ]);
  const backend = await initBackend(options.backend);
  log(
    `train:${name}: backend ${backend.name}, tfjs ${backend.tfjs}, ${backend.customKernels.length} custom kernels, matmul ${backend.gemm}`,
  );
  const trainSplit = options.limit
    ? takeFirst(fullTrain, options.limit)
    : fullTrain;
  // The noisy split holds MNIST's first images (all, or augment's
  // --limit); fresh epochs start from the same clean ones.
  const clean = fullClean && takeFirst(fullClean, trainSplit.count);
  if (!options.resume && await exists(checkpoint)) {
    log(
      `train:${name}: an interrupted run's checkpoint exists; starting over (use --resume to continue it)`,
    );
  }
  const imagesPerEpoch = Math.round(
    trainSplit.count * (1 - options.recipe.validationSplit),
  );
  const result = await train({
    recipe: options.recipe,
    data: trainSplit,
    clean,
    fingerprint,
    checkpointPath: checkpoint,
    resume: options.resume,
    onLog: (line) => log(`train:${name}: ${line}`),
    onBatch: (p) => options.onBatch?.(p, imagesPerEpoch),
    onEpoch: options.onEpoch,
    shouldStop: options.shouldStop,
    workers: options.recipe.replicas,
    backend: backend.name,
  });
  if (result.interrupted) {
    result.model.dispose();
    return { status: "stopped", value: checkpoint };
  }

  options.onEvaluating?.();
  log(`train:${name}: evaluating on the noisy and clean test splits`);
  const tests = await evaluateTests(
    result.model,
    options.model,
    backend.name,
    noisyTest,
    cleanTest,
  );
  const metrics = modelMetrics(options, backend, result, tests);
  if (metrics.params !== KERAS_PARAM_COUNTS[options.model]) {
    log(
      `warning: ${metrics.params} parameters, Keras has ${
        KERAS_PARAM_COUNTS[options.model]
      }`,
    );
  }
  await saveTrainOutputs(paths.dir, result, tests, metrics);
  result.model.dispose();
  return {
    status: "done",
    outputs: [
      "model.json",
      "weights.bin",
      TRAIN_OUTPUTS.history,
      TRAIN_OUTPUTS.metrics,
      TRAIN_OUTPUTS.predictions,
    ],
    versions: { tfjs: tf.version.tfjs, backend: backend.name },
    results: {
      seed: options.recipe.seed,
      epochsRun: metrics.epochsRun,
      bestEpoch: metrics.bestEpoch,
      noisyTestAccuracy: metrics.test.noisy.accuracy,
      cleanTestAccuracy: metrics.test.clean.accuracy,
      trainSeconds: metrics.trainSeconds,
      imagesPerSecond: metrics.imagesPerSecond,
    },
    value: metrics,
  };
}

/**
 * The parameters a training stage records in its manifest (and compares
 * to decide whether it is up to date): the recipe, the limit, the backend,
 * and with a corruption mix that mix's settings (the recipe holds only
 * its name, and a mix retuned under the same name is another run). A
 * recipe without a mix records no `mix` key, so its params are as before.
 */
export function trainStageParams(
  options: Pick<TrainStageOptions, "recipe" | "limit" | "backend">,
): { [key: string]: Json } {
  const mix = mixSettings(options.recipe.augmentation?.mix ?? "none");
  return {
    recipe: options.recipe as unknown as Json,
    limit: options.limit ?? null,
    backend: options.backend,
    ...(mix ? { mix: mix as unknown as Json } : {}),
  };
}

/** A trained model on both test splits. */
interface TestEvaluations {
  noisy: ReturnType<typeof evaluateSplit>;
  clean: ReturnType<typeof evaluateSplit>;
  /** Inference speed measured on the noisy split. */
  inferenceImagesPerSecond: number;
}

/**
 * Both test splits, on both cores for the CNN (lib/evaluate's Evaluator:
 * the same numbers as one thread, bit for bit).
 */
async function evaluateTests(
  model: tf.LayersModel,
  name: string,
  backend: BackendName,
  noisyTest: MnistSplit,
  cleanTest: MnistSplit,
): Promise<TestEvaluations> {
  const [noisy, clean] = await evaluateModel(model, name, [
    noisyTest,
    cleanTest,
  ], { backend });
  return { noisy, clean, inferenceImagesPerSecond: noisy.imagesPerSecond };
}

/** What `metrics.json` records of a finished run. */
function modelMetrics(
  options: TrainStageOptions,
  backend: BackendInfo,
  result: TrainResult,
  tests: TestEvaluations,
): ModelMetrics {
  return {
    model: options.model,
    ...(options.name && options.name !== options.model
      ? { recipeName: options.name }
      : {}),
    params: result.model.countParams(),
    recipe: options.recipe,
    limit: options.limit ?? null,
    backend: backend.name,
    gemm: backend.gemm,
    tfjs: backend.tfjs,
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    trainSeconds: result.trainSeconds,
    imagesPerSecond: result.imagesPerSecond,
    inferenceImagesPerSecond: tests.inferenceImagesPerSecond,
    counts: result.counts,
    inputStandardization: result.standardize ?? null,
    test: { noisy: tests.noisy.metrics, clean: tests.clean.metrics },
  };
}

/** The model, history, metrics and test predictions, each atomically. */
async function saveTrainOutputs(
  dir: string,
  result: TrainResult,
  tests: TestEvaluations,
  metrics: ModelMetrics,
): Promise<void> {
  const round = (values: Float32Array) =>
    Array.from(values, (v) => Math.round(v * 1e4) / 1e4);
  const predictions = (split: TestEvaluations["noisy"]) => ({
    predicted: Array.from(split.predictions.predicted),
    confidence: round(split.predictions.confidence),
  });
  await saveModel(result.model, dir);
  await writeJsonAtomic(join(dir, TRAIN_OUTPUTS.history), {
    epochs: result.history,
  });
  await writeJsonAtomic(join(dir, TRAIN_OUTPUTS.metrics), metrics);
  await writeJsonAtomic(join(dir, TRAIN_OUTPUTS.predictions), {
    noisy: predictions(tests.noisy),
    clean: predictions(tests.clean),
  });
}

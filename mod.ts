/**
 * noisy-mnist: MNIST digits rotated, shifted, zoomed and re-lit, and a
 * fully connected network compared with a convolutional one on them.
 *
 * The scripts in `scripts/` are thin wrappers over these functions, so the
 * whole pipeline can also be driven from code:
 *
 * ```ts
 * import {
 *   augmentSplit,
 *   fetchMnist,
 *   initBackend,
 *   loadMnist,
 *   PRESETS,
 *   RECIPES,
 *   train,
 * } from "./mod.ts";
 *
 * await fetchMnist({ dataDir: "data", source: Deno.env.get("MNIST_SOURCE") });
 * const clean = await loadMnist("data/mnist", "train");
 * const noisy = augmentSplit(clean, "train", PRESETS.seed, 42);
 * await initBackend("auto");
 * const { history } = await train({
 *   recipe: { ...RECIPES.dense, epochs: 2 },
 *   data: noisy,
 *   fingerprint: "example",
 * });
 * console.log(history.at(-1)?.valAccuracy);
 * ```
 *
 * Each stage also has a one-call form that reads and writes `data/` like
 * its script: {@link fetchMnist}, {@link runAugmentStage},
 * {@link runTrainStage}, {@link runEvaluateStage},
 * {@link runReportStage}.
 *
 * This module exports what a user of the library calls. Each stage's
 * folder has the rest of its public API under its own export:
 * `@noisy-mnist/noisy-mnist/core`, `/data`, `/augment`, `/train`,
 * `/evaluate`, `/kernels`, `/report`, `/robustness`.
 *
 * @module
 */

// Stage 1: fetch
export { fetchMnist, type FetchOptions } from "./lib/data/mod.ts";

// Data: MNIST splits and IDX files
export {
  loadMnist,
  loadNoisy,
  loadTestSet,
  type MnistSplit,
  readIdx,
  type Split,
  takeFirst,
  writeIdx,
} from "./lib/data/mod.ts";

// Stage 2: augment
export {
  type AugmentConfig,
  AugmentPool,
  augmentSplit,
  type AugmentStageOptions,
  type AugmentStageResult,
  type PresetName,
  PRESETS,
  runAugmentStage,
} from "./lib/augment/mod.ts";

// Stage 3: train
export { type BackendName, initBackend } from "./lib/kernels/mod.ts";
export {
  buildModel,
  type EpochRecord,
  loadModel,
  type ModelMetrics,
  type ModelName,
  type Recipe,
  RECIPES,
  runTrainStage,
  saveModel,
  train,
  type TrainOptions,
  type TrainResult,
  type TrainStageOptions,
  type TrainStageResult,
} from "./lib/train/mod.ts";

// Evaluation
export {
  evaluateSplit,
  type EvaluateStageOptions,
  predictProbabilities,
  runEvaluateStage,
  type SplitMetrics,
} from "./lib/evaluate/mod.ts";

// Stage 4: report
export {
  checkReportInBrowser,
  type ReportStageOptions,
  type ReportStageResult,
  runReportStage,
} from "./lib/report/mod.ts";

// Using the trained models: predict pictures, and the web app
export { predictFiles, type PredictFilesOptions } from "./lib/predict/mod.ts";
export { serveSite } from "./lib/serve/mod.ts";

// Errors: every one the library raises on purpose is a NoisyMnistError
export {
  ChecksumError,
  ConfigError,
  DataError,
  FetchError,
  IdxFormatError,
  LockedError,
  MissingInputError,
  NoisyMnistError,
  UsageError,
} from "./lib/core/mod.ts";
export { BackendError } from "./lib/kernels/mod.ts";
export {
  CheckpointError,
  DivergedError,
  ResumeError,
  WorkerError,
} from "./lib/train/mod.ts";

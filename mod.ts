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
 * its script: {@link runAugmentStage}, {@link runTrainStage}.
 *
 * @module
 */

// Stage 1: fetch
export {
  type FetchedFile,
  fetchMnist,
  type FetchOptions,
  MNIST_FILE_NAMES,
  MNIST_MIRRORS,
  MNIST_SHA256,
  mnistStageInputs,
  type TransferProgress,
} from "./lib/data/fetch.ts";

// Data: IDX files and MNIST splits
export {
  decodeIdx,
  encodeIdx,
  gunzip,
  gzip,
  type IdxArray,
  type IdxDataByDtype,
  type IdxDtype,
  isGzip,
  parseIdx,
  readIdx,
  serializeIdx,
  shapeSize,
  writeIdx,
  type WriteIdxOptions,
} from "./lib/data/idx.ts";
export {
  type FloatBatch,
  gatherBatch,
  labelHistogram,
  loadMnist,
  loadNoisy,
  loadSplitFiles,
  MNIST_FILES,
  type MnistSplit,
  NOISY_FILES,
  NUM_CLASSES,
  type Split,
  type SplitFiles,
  splitFromIdx,
  SPLITS,
  takeFirst,
} from "./lib/data/mnist.ts";
export { type TensorBatch, toTensors } from "./lib/train/tensors.ts";

// Stage 2: augment
export {
  augmentImages,
  type AugmentImagesOptions,
  augmentSplit,
  ImageAugmenter,
  type ImageParams,
  sampleImageParams,
  SPLIT_IDS,
  type SplitKey,
} from "./lib/augment/augment.ts";
export {
  type AugmentConfig,
  type BrightnessMode,
  configToJson,
  DEFAULT_PRESET,
  FILL_MODES,
  type FillMode,
  type Param,
  parseParam,
  PRESET_NAMES,
  presetConfig,
  type PresetName,
  PRESETS,
  validateAugmentConfig,
  withOverrides,
} from "./lib/augment/config.ts";
export { AugmentPool, defaultWorkerCount } from "./lib/augment/pool.ts";
export {
  AUGMENT_VERSION,
  type AugmentStageOptions,
  type AugmentStageResult,
  type AugmentTimings,
  runAugmentStage,
} from "./lib/augment/stage.ts";
export {
  benchmarkAugment,
  type BenchmarkAugmentOptions,
  type BenchmarkAugmentResult,
} from "./bench/augment_benchmark.ts";
export {
  type Affine,
  affineFor,
  type GeometryParams,
  warpBilinear,
} from "./lib/augment/warp.ts";
export { KeyedRng, SplitMix64, type U64 } from "./lib/core/rng.ts";
export {
  imagesPixelStats,
  type PixelStats,
  pixelStats,
} from "./lib/core/pixel_stats.ts";
export { encodeGrayPng, type GrayImage } from "./lib/core/png.ts";
export { sampleGrid, type SampleGridOptions } from "./lib/augment/samples.ts";

// Stage 3: train
export {
  type BackendInfo,
  type BackendName,
  BACKENDS,
  initBackend,
} from "./lib/kernels/backend.ts";
export {
  buildCnn,
  buildDense,
  buildModel,
  type InputStandardization,
  KERAS_PARAM_COUNTS,
  MODEL_NAMES,
  type ModelName,
} from "./lib/train/models.ts";
export {
  type EarlyStopping,
  INPUT_SCALES,
  type InputScale,
  type Recipe,
  RECIPES,
  type ReduceLrOnPlateau,
  STUDY_EPOCHS,
} from "./lib/train/recipes.ts";
export {
  type BatchProgress,
  type EpochRecord,
  holdOut,
  inputStandardization,
  train,
  type TrainOptions,
  type TrainResult,
} from "./lib/train/train.ts";
export { DataParallel, shardSizes } from "./lib/train/data_parallel.ts";
export {
  makeOptimizer,
  Replica,
  type ReplicaSnapshot,
  type ShardGradients,
  trainStep,
} from "./lib/train/replica.ts";
export {
  type ModelMetrics,
  runTrainStage,
  type TrainStageOptions,
  type TrainStageResult,
} from "./lib/train/stage.ts";
export { loadModel, saveModel } from "./lib/train/model_io.ts";
export {
  evaluateSplit,
  type Predictions,
  predictProbabilities,
  type SplitMetrics,
  summarizeProbabilities,
} from "./lib/evaluate/evaluate.ts";
export {
  accuracyOf,
  type ClassMetrics,
  type ConfusionMatrix,
  confusionMatrix,
  macroF1,
  perClassMetrics,
} from "./lib/evaluate/metrics.ts";
export {
  type Blas,
  type FastKernelOptions,
  type FastKernelReport,
  registerTrainingKernels,
} from "./lib/kernels/mod.ts";
export {
  measureThroughput,
  type Throughput,
  type ThroughputOptions,
} from "./bench/benchmark.ts";

// Stage 4: report
export {
  REPORT_FILES,
  reportDir,
  type ReportStageOptions,
  type ReportStageResult,
  runReportStage,
} from "./lib/report/stage.ts";
export {
  checkReportInBrowser,
  type CheckResult,
  formatCheck,
} from "./lib/report/browser_check.ts";

// Using the trained models: predict pictures, and the web app
export {
  asMnistImage,
  type ClassProbability,
  decodeImage,
  type FileResult,
  ImageDecodeError,
  inkMap,
  loadTrainedModels,
  MNIST_SIDE,
  NoInkError,
  predictFiles,
  type PredictFilesOptions,
  predictInputs,
  preprocessDetailed,
  preprocessImage,
  readTrainedModels,
  recordedFiles,
  type RgbaImage,
  topClasses,
  type TrainedModel,
} from "./lib/predict/mod.ts";
export {
  buildSite,
  checkServeInBrowser,
  exportSite,
  type ServeCheckReport,
  serveSite,
  type Site,
} from "./lib/serve/mod.ts";

// Shared: errors, manifests, files
export {
  ChecksumError,
  ConfigError,
  DataError,
  FetchError,
  type IdxErrorKind,
  IdxFormatError,
  LockedError,
  MissingInputError,
  NoisyMnistError,
  UsageError,
} from "./lib/core/errors.ts";
export {
  checkFreshness,
  type Freshness,
  type Json,
  type StageManifest,
  type ToolVersions,
} from "./lib/core/manifest.ts";
export {
  type JsonObject,
  runStage,
  type StageContext,
  type StageInputFile,
  type StageRun,
  type StageSpec,
  type StageWork,
  type UpstreamStage,
} from "./lib/core/stage.ts";
export { type FolderLock, LOCK_FILE, lockFolder } from "./lib/core/lock.ts";
export { sha256File, sha256Hex, sha256Text } from "./lib/core/hash.ts";
export { writeFileAtomic, writeJsonAtomic } from "./lib/core/fsutil.ts";

/**
 * Reading the artifacts the report is made of, typed and checked: the
 * noisy dataset's manifest, test split and sample grid, and each trained
 * model's metrics, history, predictions and manifest. The report stage
 * only reads; it never trains or augments.
 *
 * @module
 */

import { join } from "node:path";
import {
  DataError,
  exists,
  MANIFEST_FILE,
  MissingInputError,
  sha256File,
  type StageManifest,
} from "../core/mod.ts";
import { loadNoisy, type MnistSplit, NUM_CLASSES } from "../data/mod.ts";
// Type-only imports: models.ts and train_stage.ts load TensorFlow.js, which
// a stage that only reads JSON and PNGs should not pay for.
import {
  type EpochRecord,
  type ModelMetrics,
  type ModelName,
  trainTask,
} from "../train/mod.ts";
import { findTrainedModels } from "../evaluate/mod.ts";
import {
  findRobustness,
  loadRobustness,
  type RobustnessArtifacts,
} from "./robustness_load.ts";
import { findStudy } from "./study_load.ts";
import { loadStudySummary, type StudySummary } from "../study/mod.ts";

/**
 * The study's models, in the order the report shows them. Any other
 * trained `models/<name>/` (a recipe variant such as `cnn-robust`) is
 * reported too, after these, in {@link ReportInputs.extraModels}.
 */
export const REPORT_MODELS: readonly ModelName[] = ["dense", "cnn"];

/**
 * The files of a model folder the report reads (the names of
 * `TRAIN_OUTPUTS` in train_stage.ts, repeated to avoid loading tfjs).
 */
export const MODEL_FILES = {
  metrics: "metrics.json",
  history: "history.json",
  predictions: "predictions.json",
} as const;

/** The augment stage's sample grid, in `noisy/` (read when present). */
export const NOISY_SAMPLES_FILE = "samples.png";

/** Per-image predictions on one test split, index-aligned with it. */
export interface PredictionSet {
  /** Arg-max class per image. */
  predicted: number[];
  /** Probability of the predicted class per image. */
  confidence: number[];
}

/** `predictions.json` of a model folder. */
export interface PredictionsFile {
  /** On the noisy test split. */
  noisy: PredictionSet;
  /** On the clean MNIST test split. */
  clean: PredictionSet;
}

/** `history.json` of a model folder. */
export interface HistoryFile {
  /** One record per epoch run. */
  epochs: EpochRecord[];
}

/** Everything the report reads about one trained model folder. */
export interface TrainedModel {
  /** The folder's name: `dense`, `cnn`, `cnn-robust`… */
  name: string;
  /** Its folder, `<data-dir>/models/<name>`. */
  dir: string;
  /** `metrics.json`. */
  metrics: ModelMetrics;
  /** `history.json`'s epochs. */
  history: EpochRecord[];
  /** `predictions.json`. */
  predictions: PredictionsFile;
  /** `manifest.json`. */
  manifest: StageManifest;
}

/** One of the study's two models ({@link REPORT_MODELS}). */
export interface ModelArtifacts extends TrainedModel {
  /** Which model. */
  name: ModelName;
}

/** The noisy dataset as the report sees it. */
export interface NoisyArtifacts {
  /** `<data-dir>/noisy`. */
  dir: string;
  /** `noisy/manifest.json`. */
  manifest: StageManifest;
  /** The noisy test split (images the galleries show). */
  test: MnistSplit;
  /** `noisy/samples.png`, when the augment stage wrote one. */
  samplesPng?: Uint8Array;
}

/** All inputs of the report. */
export interface ReportInputs {
  /** The artifact folder. */
  dataDir: string;
  /** The noisy dataset. */
  noisy: NoisyArtifacts;
  /** Trained models, in {@link REPORT_MODELS} order (at least one). */
  models: ModelArtifacts[];
  /** The study's models not trained yet. */
  missing: ModelName[];
  /**
   * The other trained model folders (recipe variants such as
   * `cnn-robust`), by name; empty when only the study's are trained.
   */
  extraModels: TrainedModel[];
  /** The robustness benchmark's results: absent, stale or fresh. */
  robustness: RobustnessArtifacts;
  /** The study over seeds' summary, when one exists. */
  study?: StudySummary | null;
}

/** Whether a model folder's name is one of the study's two. */
export function isStudyModel(name: string): name is ModelName {
  return (REPORT_MODELS as readonly string[]).includes(name);
}

/**
 * The trained model folders of `upstream` in report order: the study's
 * ({@link REPORT_MODELS}), then the others by name.
 */
export function reportOrder(upstream: UpstreamManifests): string[] {
  const names = Object.keys(upstream.models);
  return [
    ...REPORT_MODELS.filter((name) => names.includes(name)),
    ...names.filter((name) => !isStudyModel(name)).sort(),
  ];
}

/** Paths of the upstream manifests the report depends on. */
export interface UpstreamManifests {
  /** `noisy/manifest.json`. */
  noisy: string;
  /** `models/<name>/manifest.json` of each trained model folder. */
  models: Partial<Record<string, string>>;
  /** `robustness/manifest.json`, when the benchmark has run. */
  robustness?: string;
  /** `study/manifest.json`, when a study summary exists. */
  study?: string;
}

/**
 * Find the upstream manifests, refusing with a one-line
 * {@link MissingInputError} when there is nothing to report: no noisy
 * dataset, or no trained model.
 */
export async function findUpstream(
  dataDir: string,
): Promise<UpstreamManifests> {
  const noisy = join(dataDir, "noisy", MANIFEST_FILE);
  if (!(await exists(noisy))) {
    throw new MissingInputError(
      `nothing to report: ${noisy} is missing; run \`deno task augment\`, then \`${
        trainTask("cnn")
      }\``,
    );
  }
  const models: Partial<Record<string, string>> = {};
  for (const name of await findTrainedModels(dataDir)) {
    models[name] = join(dataDir, "models", name, MANIFEST_FILE);
  }
  // The report is built around the study's comparison: the robust models
  // are compared with the study's, so at least one of those is needed.
  if (!REPORT_MODELS.some((name) => models[name] !== undefined)) {
    throw new MissingInputError(
      `nothing to report: neither study model is trained in ${
        join(dataDir, "models")
      }; run \`${trainTask("cnn")}\` and \`${trainTask("dense")}\``,
    );
  }
  return {
    noisy,
    models,
    robustness: await findRobustness(dataDir),
    study: await findStudy(dataDir),
  };
}

/**
 * SHA-256 of each upstream manifest, keyed by its path relative to the
 * data folder: the report's inputs. A manifest records its stage's output
 * hashes, so a retrained model or a rebuilt dataset changes these.
 */
export async function upstreamHashes(
  upstream: UpstreamManifests,
): Promise<Record<string, string>> {
  const inputs: Record<string, string> = {
    "noisy/manifest.json": await sha256File(upstream.noisy),
  };
  for (const name of reportOrder(upstream)) {
    const path = upstream.models[name];
    if (path) inputs[`models/${name}/manifest.json`] = await sha256File(path);
  }
  if (upstream.robustness) {
    inputs["robustness/manifest.json"] = await sha256File(upstream.robustness);
  }
  if (upstream.study) {
    inputs["study/manifest.json"] = await sha256File(upstream.study);
  }
  return inputs;
}

async function readJson<T>(path: string, task: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInputError(`${path} is missing; run \`${task}\``);
    }
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataError(`${path}: not valid JSON; run \`${task}\` again`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(
      `${path}: holds ${
        JSON.stringify(value).slice(0, 20)
      }, not a JSON object; run \`${task}\` again`,
    );
  }
  return value as T;
}

/** Index of the first value that is not an integer 0–9, or -1. */
function firstNonDigit(values: readonly unknown[]): number {
  return values.findIndex((v) =>
    typeof v !== "number" || !Number.isInteger(v) || v < 0 ||
    v >= NUM_CLASSES
  );
}

function checkPredictions(
  path: string,
  split: "noisy" | "clean",
  set: PredictionSet | undefined,
  count: number | undefined,
  task: string,
): void {
  if (
    !set || !Array.isArray(set.predicted) || !Array.isArray(set.confidence) ||
    set.predicted.length !== count || set.confidence.length !== count
  ) {
    throw new DataError(
      `${path}: predictions do not match the ${count}-image ${split} test split; run \`${task}\` again`,
    );
  }
  const bad = firstNonDigit(set.predicted);
  if (bad >= 0) {
    throw new DataError(
      `${path}: ${split} prediction ${
        JSON.stringify(set.predicted[bad])
      } at index ${bad} is not a digit 0–9; run \`${task}\``,
    );
  }
  const badConfidence = set.confidence.find((c) =>
    typeof c !== "number" || !(c >= 0 && c <= 1)
  );
  if (badConfidence !== undefined) {
    throw new DataError(
      `${path}: ${split} confidence ${badConfidence} is not in [0, 1]; run \`${task}\``,
    );
  }
}

/** Load one trained model's artifacts; `noisyCount` checks alignment. */
export async function loadModel<Name extends string>(
  dataDir: string,
  name: Name,
  noisyCount: number,
): Promise<TrainedModel & { name: Name }> {
  const dir = join(dataDir, "models", name);
  const task = `${trainTask(name)} --force`;
  const [metrics, history, predictions, manifest] = await Promise.all([
    readJson<ModelMetrics>(join(dir, MODEL_FILES.metrics), task),
    readJson<HistoryFile>(join(dir, MODEL_FILES.history), task),
    readJson<PredictionsFile>(join(dir, MODEL_FILES.predictions), task),
    readJson<StageManifest>(join(dir, MANIFEST_FILE), task),
  ]);
  const predictionsPath = join(dir, MODEL_FILES.predictions);
  checkPredictions(
    predictionsPath,
    "noisy",
    predictions.noisy,
    noisyCount,
    task,
  );
  checkPredictions(
    predictionsPath,
    "clean",
    predictions.clean,
    metrics.test?.clean?.count,
    task,
  );
  if (metrics.test?.noisy?.count !== noisyCount) {
    throw new DataError(
      `${
        join(dir, MODEL_FILES.metrics)
      }: evaluated on ${metrics.test?.noisy?.count} noisy test images, the dataset has ${noisyCount}; run \`${task}\``,
    );
  }
  return {
    name,
    dir,
    metrics,
    history: history.epochs ?? [],
    predictions,
    manifest,
  };
}

/**
 * Load everything the report needs. Refuses (MissingInputError) when
 * there is nothing to report; a missing model is recorded in `missing`,
 * robustness results computed before a model was retrained are loaded as
 * `stale`.
 *
 * @example
 * ```ts
 * const inputs = await loadReportInputs("data");
 * console.log(inputs.models.map((m) => m.name), inputs.missing);
 * ```
 */
export async function loadReportInputs(
  dataDir: string,
  upstream?: UpstreamManifests,
): Promise<ReportInputs> {
  const found = upstream ?? await findUpstream(dataDir);
  const noisyDir = join(dataDir, "noisy");
  const manifest = await readJson<StageManifest>(
    found.noisy,
    "deno task augment",
  );
  const test = await loadNoisy(noisyDir, "test");
  const samplesPath = join(noisyDir, NOISY_SAMPLES_FILE);
  const samplesPng = await exists(samplesPath)
    ? await Deno.readFile(samplesPath)
    : undefined;
  const models: ModelArtifacts[] = [];
  const missing: ModelName[] = [];
  for (const name of REPORT_MODELS) {
    if (found.models[name]) {
      models.push(await loadModel(dataDir, name, test.count));
    } else missing.push(name);
  }
  const extraModels: TrainedModel[] = [];
  for (const name of reportOrder(found)) {
    if (!isStudyModel(name)) {
      extraModels.push(await loadModel(dataDir, name, test.count));
    }
  }
  return {
    dataDir,
    noisy: { dir: noisyDir, manifest, test, samplesPng },
    models,
    missing,
    extraModels,
    robustness: await loadRobustness(
      dataDir,
      found.robustness,
      found.models,
      [...REPORT_MODELS, ...extraModels.map((m) => m.name)],
    ),
    study: found.study ? await loadStudySummary(dataDir) : null,
  };
}

/**
 * The evaluate stage: trained models (every trained folder of the data
 * folder's `models/` — dense, cnn, cnn-robust… — or any folder holding a tfjs layers model) on test sets (the data
 * folder's noisy and clean test splits, or any test-set folder or root of
 * them, see lib/data/testset.ts), written as one JSON file.
 *
 * Every model file is checked against its folder's `manifest.json` before
 * use (a training stage's folder must have one); the default test sets
 * against noisy/manifest.json and the pinned MNIST hashes. The JSON
 * records the hashes of everything read, and its default name is derived
 * from them: the same models on the same test sets give the same file.
 *
 * @module
 */

import { basename, join } from "node:path";
import {
  canonicalJson,
  denoVersions,
  MissingInputError,
  sha256Text,
  tf,
  type ToolVersions,
  writeJsonAtomic,
} from "../core/mod.ts";
import {
  loadTestSets,
  MNIST_SHA256,
  takeFirst,
  type TestSet,
} from "../data/mod.ts";
import type { BackendName } from "../kernels/mod.ts";
import { type ModelName, trainTask } from "../train/mod.ts";
import { type EvaluationMetrics, Evaluator } from "./evaluator.ts";
import type { Interval } from "./interval.ts";
import {
  findTrainedModels,
  type ModelFiles,
  readModelFiles,
} from "./model_files.ts";

/** The data folder's models, in the order they are evaluated. */
export const EVALUATED_MODELS: readonly ModelName[] = ["dense", "cnn"];

/** The data folder's test splits, by the name `--test` knows them by. */
export const DEFAULT_TEST_SETS = {
  noisy: { folder: "noisy", task: "deno task augment" },
  clean: { folder: "mnist", task: "deno task fetch" },
} as const;

/** The folder under the data folder that evaluations go to. */
export const EVALUATIONS_DIR = "evaluations";

/** Options of {@link runEvaluateStage}. */
export interface EvaluateStageOptions {
  /** The artifact folder. */
  dataDir: string;
  /**
   * Models: `dense`, `cnn` (the data folder's) or a folder. Default: every
   * trained model of the data folder.
   */
  models?: readonly string[];
  /**
   * Test sets: `noisy`, `clean` (the data folder's test splits), a
   * test-set folder or a root of them. Default: noisy and clean.
   */
  tests?: readonly string[];
  /** Where to write the JSON (default: `<dataDir>/evaluations/<hash>.json`). */
  out?: string;
  /** Evaluate the first N images of each test set only. */
  limit?: number;
  /** tfjs backend (default auto). */
  backend?: BackendName | "auto";
  /** Threads per model (default auto: two for a CNN on two cores). */
  threads?: number | "auto";
  /** Images per batch (default 1,000). */
  batchSize?: number;
  /** One-line progress messages. */
  onLog?: (line: string) => void;
}

/** A model as the evaluation file records it. */
export interface EvaluatedModel {
  /** Display name. */
  name: string;
  /** Its folder. */
  dir: string;
  /** SHA-256 of its `manifest.json`; null when it has none (unchecked). */
  manifestSha256: string | null;
  /** SHA-256 of each model file read. */
  files: Record<string, string>;
}

/** A test set as the evaluation file records it. */
export interface EvaluatedTestSet {
  /** Display name (`noisy`, `mnist_c/shot_noise`…). */
  name: string;
  /** Its folder. */
  dir: string;
  /** The root it was found in, or null. */
  root: string | null;
  /** IDX or `.npy`. */
  format: "idx" | "npy";
  /** Paths and SHA-256 of its images and labels. */
  files: {
    images: { path: string; sha256: string };
    labels: { path: string; sha256: string };
  };
  /** Images evaluated (after `limit`). */
  count: number;
}

/** One model on one test set. */
export interface EvaluationResult {
  /** Model name. */
  model: string;
  /** Test-set name. */
  testSet: string;
  /** Images evaluated. */
  count: number;
  /** Images predicted correctly. */
  correct: number;
  /** Fraction correct. */
  accuracy: number;
  /** Wilson 95 % interval of the accuracy. */
  interval: Interval;
  /** Mean categorical cross-entropy. */
  loss: number;
  /** Unweighted mean F1 over the digits. */
  macroF1: number;
  /** `confusion[true][predicted]`. */
  confusion: number[][];
  /** Threads that computed batches. */
  threads: number;
  /** Wall time of the evaluation. */
  seconds: number;
}

/** A model's mean over the test sets of one root (MNIST-C's mean). */
export interface EvaluationMean {
  /** Model name. */
  model: string;
  /** The root's name. */
  root: string;
  /** Test sets averaged. */
  testSets: number;
  /** Unweighted mean accuracy over them. */
  accuracy: number;
  /** Unweighted mean loss over them. */
  loss: number;
  /** Images evaluated over them. */
  count: number;
}

/** The JSON file the stage writes. */
export interface EvaluationFile {
  /** What this file is. */
  kind: "noisy-mnist evaluation";
  /** Format version. */
  version: 1;
  /** When the evaluation started (ISO 8601). */
  createdAt: string;
  /** Wall time in seconds. */
  seconds: number;
  /** `limit`, or null for whole test sets. */
  limit: number | null;
  /** Images per batch. */
  batchSize: number;
  /** Deno, tfjs, backend, matrix product. */
  versions: ToolVersions;
  /** The models, in evaluation order. */
  models: EvaluatedModel[];
  /** The test sets, in evaluation order. */
  testSets: EvaluatedTestSet[];
  /** Every model on every test set. */
  results: EvaluationResult[];
  /** Per model, the mean over each root's test sets. */
  means: EvaluationMean[];
}

/** What {@link runEvaluateStage} returns. */
export interface EvaluateStageResult {
  /** Where the JSON went. */
  path: string;
  /** Its content. */
  file: EvaluationFile;
}

/** Read and check the models' files. */
async function resolveModels(
  dataDir: string,
  requested: readonly string[] | undefined,
  log: (line: string) => void,
): Promise<ModelFiles[]> {
  const trained = await findTrainedModels(dataDir);
  if (requested && requested.length > 0) {
    // A model named twice is evaluated once. A name is the data folder's
    // model (dense, cnn, or any trained models/<name>/, e.g. cnn-robust)
    // before it is a folder path.
    return Promise.all(
      [...new Set(requested)].map((model) =>
        (EVALUATED_MODELS as readonly string[]).includes(model) ||
          trained.includes(model)
          ? readModelFiles(join(dataDir, "models", model), {
            name: model,
            task: trainTask(model),
          })
          : readModelFiles(model)
      ),
    );
  }
  const models: ModelFiles[] = [];
  for (const name of EVALUATED_MODELS) {
    if (!trained.includes(name)) {
      log(`evaluate: ${name} is not trained (${trainTask(name)}); skipped`);
    }
  }
  for (const name of trained) {
    const dir = join(dataDir, "models", name);
    models.push(await readModelFiles(dir, { name, task: trainTask(name) }));
  }
  if (models.length === 0) {
    throw new MissingInputError(
      `nothing to evaluate: no trained model in ${
        join(dataDir, "models")
      }; run \`${trainTask("cnn")}\` or \`${
        trainTask("dense")
      }\`, or pass --model DIR`,
    );
  }
  return models;
}

/** A test set loaded, with the root it came from. */
interface LoadedSet {
  set: TestSet;
  root: string | null;
}

async function resolveTestSets(
  dataDir: string,
  requested: readonly string[] | undefined,
  limit: number | undefined,
): Promise<LoadedSet[]> {
  const names = requested && requested.length > 0
    ? requested
    : Object.keys(DEFAULT_TEST_SETS);
  const loaded: LoadedSet[] = [];
  for (const name of names) {
    const known = Object.hasOwn(DEFAULT_TEST_SETS, name)
      ? DEFAULT_TEST_SETS[name as keyof typeof DEFAULT_TEST_SETS]
      : undefined;
    // A folder is named by its base name unless another one has it.
    const taken = loaded.some((l) =>
      l.set.name === basename(name) ||
      l.set.name.startsWith(`${basename(name)}/`)
    );
    const { root, sets } = known
      ? await loadTestSets(join(dataDir, known.folder), {
        name,
        task: known.task,
        pinned: name === "clean" ? MNIST_SHA256 : undefined,
      })
      : await loadTestSets(name, taken ? { name } : {});
    for (const set of sets) {
      // The same folder given twice is evaluated once.
      if (loaded.some((l) => l.set.dir === set.dir)) continue;
      const split = limit ? takeFirst(set.split, limit) : set.split;
      loaded.push({
        set: { ...set, split },
        root: root ? set.name.slice(0, set.name.lastIndexOf("/")) : null,
      });
    }
  }
  return loaded;
}

function resultOf(
  model: string,
  testSet: string,
  metrics: EvaluationMetrics,
  threads: number,
  seconds: number,
): EvaluationResult {
  return {
    model,
    testSet,
    count: metrics.count,
    correct: metrics.correct,
    accuracy: metrics.accuracy,
    interval: metrics.interval,
    loss: metrics.loss,
    macroF1: metrics.macroF1,
    confusion: metrics.confusion,
    threads,
    seconds,
  };
}

/** Per model and root, the unweighted mean over the root's test sets. */
export function meansOf(
  results: readonly EvaluationResult[],
  testSets: readonly EvaluatedTestSet[],
): EvaluationMean[] {
  const rootOf = new Map(testSets.map((t) => [t.name, t.root]));
  const groups = new Map<string, EvaluationResult[]>();
  for (const result of results) {
    const root = rootOf.get(result.testSet);
    if (!root) continue;
    const key = JSON.stringify([result.model, root]);
    groups.set(key, [...groups.get(key) ?? [], result]);
  }
  return [...groups].map(([key, group]) => {
    const [model, root] = JSON.parse(key) as [string, string];
    const mean = (f: (r: EvaluationResult) => number) =>
      group.reduce((sum, r) => sum + f(r), 0) / group.length;
    return {
      model,
      root,
      testSets: group.length,
      accuracy: mean((r) => r.accuracy),
      loss: mean((r) => r.loss),
      count: group.reduce((sum, r) => sum + r.count, 0),
    };
  });
}

/**
 * Evaluate the models on the test sets and write the JSON atomically.
 * Refuses, before evaluating anything, a model or test set that is
 * missing, unreadable or does not match its manifest.
 */
export async function runEvaluateStage(
  options: EvaluateStageOptions,
): Promise<EvaluateStageResult> {
  const t0 = performance.now();
  const createdAt = new Date();
  const log = options.onLog ?? (() => {});
  const models = await resolveModels(options.dataDir, options.models, log);
  const sets = await resolveTestSets(
    options.dataDir,
    options.tests,
    options.limit,
  );
  const testSets: EvaluatedTestSet[] = sets.map(({ set, root }) => ({
    name: set.name,
    dir: set.dir,
    root,
    format: set.format,
    files: {
      images: { path: set.files.images, sha256: set.sha256.images },
      labels: { path: set.files.labels, sha256: set.sha256.labels },
    },
    count: set.split.count,
  }));
  const evaluatedModels: EvaluatedModel[] = models.map((m) => ({
    name: m.name,
    dir: m.dir,
    manifestSha256: m.manifestSha256,
    files: m.sha256,
  }));
  for (const model of evaluatedModels) {
    if (model.manifestSha256 === null) {
      log(
        `evaluate: ${model.dir} has no manifest.json; its files are unchecked`,
      );
    }
  }

  const results: EvaluationResult[] = [];
  let versions: ToolVersions = denoVersions();
  let batchSize = options.batchSize ?? 0;
  for (const files of models) {
    const evaluator = await Evaluator.open(files, {
      backend: options.backend,
      threads: options.threads,
      batchSize: options.batchSize,
    });
    batchSize = evaluator.batchSize;
    versions = {
      ...denoVersions(),
      tfjs: tf.version.tfjs,
      backend: evaluator.backend.name,
      gemm: evaluator.backend.gemm,
    };
    try {
      for (const { set } of sets) {
        const start = performance.now();
        const { metrics } = await evaluator.evaluate(set.split);
        const seconds = (performance.now() - start) / 1000;
        const threads = evaluator.lastBatches.filter((b) => b > 0).length;
        results.push(resultOf(files.name, set.name, metrics, threads, seconds));
        log(
          `evaluate: ${files.name} on ${set.name}: ${
            metrics.count.toLocaleString("en-US")
          } images, ${(metrics.accuracy * 100).toFixed(2)} % in ${
            seconds.toFixed(1)
          } s (${threads} thread${threads === 1 ? "" : "s"})`,
        );
      }
    } finally {
      evaluator.close();
    }
  }

  const file: EvaluationFile = {
    kind: "noisy-mnist evaluation",
    version: 1,
    createdAt: createdAt.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    limit: options.limit ?? null,
    batchSize,
    versions,
    models: evaluatedModels,
    testSets,
    results,
    means: meansOf(results, testSets),
  };
  const path = options.out ?? join(
    options.dataDir,
    EVALUATIONS_DIR,
    `${await evaluationName(file)}.json`,
  );
  await writeJsonAtomic(path, file);
  return { path, file };
}

/**
 * A name derived from what was evaluated: the model files' and test
 * files' hashes, the limit and the batch size (`eval-<12 hex digits>`).
 */
export async function evaluationName(file: EvaluationFile): Promise<string> {
  const identity = canonicalJson({
    models: file.models.map((m) => ({ name: m.name, files: m.files })),
    testSets: file.testSets.map((t) => ({
      name: t.name,
      images: t.files.images.sha256,
      labels: t.files.labels.sha256,
    })),
    limit: file.limit,
    batchSize: file.batchSize,
  });
  return `eval-${(await sha256Text(identity)).slice(0, 12)}`;
}

/**
 * The robustness stage: every trained model of the data folder on the
 * clean MNIST test split under every corruption of the catalogue at every
 * severity, and on the clean and noisy test splits; written to
 * `<data-dir>/robustness/results.json` ({@link RobustnessResults}) and
 * the stage's `manifest.json`, through the shared stage runner.
 *
 * Its inputs are each model folder's manifest (and the model files it
 * vouches for), the noisy dataset's manifest (and its test files) and the
 * pinned MNIST test files; with the parameters (seed, limit, the
 * catalogue) they decide whether the stage is up to date.
 *
 * @module
 */

import { join } from "node:path";
import {
  ChecksumError,
  exists,
  MissingInputError,
  runStage,
  sha256File,
  tf,
  type UpstreamStage,
  writeJsonAtomic,
} from "../core/mod.ts";
import {
  loadMnist,
  loadNoisy,
  type MnistSplit,
  mnistStageInputs,
  NOISY_FILES,
  takeFirst,
} from "../data/mod.ts";
import {
  EVALUATION_BATCH,
  Evaluator,
  findTrainedModels,
  type ModelFiles,
  readModelFiles,
} from "../evaluate/mod.ts";
import { trainTask } from "../train/mod.ts";
import { CORRUPTIONS } from "./catalogue.ts";
import { STREAM_NAMES } from "./corrupt.ts";
import { SEVERITIES } from "./corruption.ts";
import { CorruptionWorker } from "./prefetch.ts";
import type { ModelRobustness, RobustnessResults } from "./results.ts";
import { runSweep, type SweepModel, type SweepTimings } from "./sweep.ts";

/**
 * Bumped when what the stage computes changes, so existing results are
 * rebuilt by the next run.
 */
export const ROBUSTNESS_VERSION = 1;

/** The stage's folder, relative to the data folder. */
export const ROBUSTNESS_DIR = "robustness";

/** The stage's files, relative to `<data-dir>/robustness`. */
export const ROBUSTNESS_FILES = {
  results: "results.json",
  samples: "samples.png",
} as const;

/** The model every corruption error is normalised by, when trained. */
export const REFERENCE_MODEL = "dense";

/** The robustness folder of a data folder. */
export function robustnessDir(dataDir: string): string {
  return join(dataDir, ROBUSTNESS_DIR);
}

/** Options of {@link runRobustnessStage}. */
export interface RobustnessStageOptions {
  /** Artifact folder (holds `mnist/`, `noisy/`, `models/`). */
  dataDir: string;
  /** Seed of the corruptions' keyed randomness. */
  seed: number;
  /** Sweep the first N test images only. */
  limit?: number;
  /** Rerun even when up to date. */
  force?: boolean;
  /**
   * Generate the next corrupted split on a Worker while the models
   * evaluate the current one (true), or each on this thread between
   * evaluations (false). Default `auto`: a Worker when a core is left
   * over by the evaluators' threads (the dense net takes one, the CNN
   * two), else this thread, where generation does not compete with them.
   */
  prefetch?: boolean | "auto";
  /** One-line status messages. */
  onLog?: (line: string) => void;
  /**
   * After each test set: model-images evaluated of the total (each test
   * set counts its images once per model), and the set just done.
   */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** What {@link runRobustnessStage} did. */
export type RobustnessStageResult =
  | { status: "up to date"; dir: string; results: RobustnessResults }
  | {
    status: "done";
    dir: string;
    reason: string;
    results: RobustnessResults;
    timings: SweepTimings & { total: number };
  };

/**
 * Run the sweep over every trained model, or skip it when up to date.
 * Refuses with a MissingInputError when no model is trained, and with a
 * DataError when a model file does not match its manifest.
 */
export async function runRobustnessStage(
  options: RobustnessStageOptions,
): Promise<RobustnessStageResult> {
  const log = options.onLog ?? (() => {});
  const dir = robustnessDir(options.dataDir);
  const names = await findTrainedModels(options.dataDir);
  if (names.length === 0) {
    throw new MissingInputError(
      `nothing to sweep: no trained model in ${
        join(options.dataDir, "models")
      }; run \`deno task train:dense\` (and \`deno task train:cnn\`)`,
    );
  }
  const reference = names[0];
  if (reference !== REFERENCE_MODEL) {
    log(
      `robustness: ${REFERENCE_MODEL} is not trained; corruption errors are relative to ${reference}`,
    );
  }
  // Read and checked against their manifests before anything runs; the
  // runner checks the same files again against the manifests it hashes.
  const models: ModelFiles[] = [];
  for (const name of names) {
    models.push(
      await readModelFiles(join(options.dataDir, "models", name), {
        name,
        task: trainTask(name),
      }),
    );
  }
  const noisyDir = join(options.dataDir, "noisy");
  const mnistDir = join(options.dataDir, "mnist");
  const upstream: UpstreamStage[] = [
    {
      name: "noisy",
      dir: noisyDir,
      task: "deno task augment",
      files: [NOISY_FILES.test.images, NOISY_FILES.test.labels],
    },
    ...models.map((m) => ({
      name: `models/${m.name}`,
      dir: m.dir,
      task: trainTask(m.name),
      files: Object.keys(m.sha256),
    })),
  ];
  const run = await runStage({
    stage: "robustness",
    dir,
    params: {
      version: ROBUSTNESS_VERSION,
      seed: options.seed,
      limit: options.limit ?? null,
      reference,
      batchSize: EVALUATION_BATCH,
      corruptions: CORRUPTIONS.map((c) => c.name),
      severities: [...SEVERITIES],
      streams: [...STREAM_NAMES],
    },
    upstream,
    inputs: mnistStageInputs(mnistDir, ["test"]),
    rerun: options.force ? "--force" : undefined,
    work: async ({ reason, t0 }) => {
      log(`robustness: running because: ${reason}`);
      const cut = (split: MnistSplit) =>
        options.limit ? takeFirst(split, options.limit) : split;
      const clean = cut(await loadMnist(mnistDir, "test"));
      const noisy = cut(await loadNoisy(noisyDir, "test"));
      const evaluators: Evaluator[] = [];
      let worker: CorruptionWorker | undefined;
      try {
        for (const files of models) {
          evaluators.push(await Evaluator.open(files));
        }
        const threads = Math.max(...evaluators.map((e) => e.threads));
        const cores = navigator.hardwareConcurrency || 1;
        const prefetch = options.prefetch ?? "auto";
        if (prefetch === true || (prefetch === "auto" && threads < cores)) {
          worker = new CorruptionWorker(clean);
        }
        const generator = worker;
        const sweepModels: SweepModel[] = evaluators.map((e) => ({
          name: e.files.name,
          manifestSha256: e.files.manifestSha256!,
          evaluate: async (split) => {
            const { metrics } = await e.evaluate(split);
            return {
              accuracy: metrics.accuracy,
              loss: metrics.loss,
              count: metrics.count,
            };
          },
        }));
        const { results, timings } = await runSweep({
          clean,
          noisy,
          models: sweepModels,
          reference,
          seed: options.seed,
          generate: generator &&
            ((c, s) => generator.corrupt(c, s, options.seed)),
          onProgress: (done, total, label) => {
            const per = clean.count * models.length;
            options.onProgress?.(done * per, total * per, label);
          },
        });
        await writeJsonAtomic(join(dir, ROBUSTNESS_FILES.results), results);
        const total = (performance.now() - t0) / 1000;
        const backend = evaluators[0].backend;
        return {
          status: "done",
          outputs: [ROBUSTNESS_FILES.results],
          results: {
            models: results.models.map(summaryOf),
            corruptSeconds: timings.corrupt,
            evaluateSeconds: timings.evaluate,
            prefetch: worker !== undefined,
          },
          versions: {
            tfjs: tf.version.tfjs,
            backend: backend.name,
            gemm: backend.gemm,
          },
          value: { reason, results, timings: { ...timings, total } },
        };
      } finally {
        worker?.terminate();
        for (const e of evaluators) e.close();
      }
    },
  });
  if (run.status === "up to date") {
    const results = JSON.parse(
      await Deno.readTextFile(join(dir, ROBUSTNESS_FILES.results)),
    ) as RobustnessResults;
    return { status: "up to date", dir, results };
  }
  return { status: "done", dir, ...run.value };
}

/** A model's headline figures, as the manifest records them. */
function summaryOf(m: ModelRobustness) {
  return {
    model: m.model,
    clean: m.clean.accuracy,
    noisy: m.noisy.accuracy,
    mnistCAccuracy: m.mnistCAccuracy,
    mCE: m.mCE,
    relativeMCE: m.relativeMCE,
  };
}

/** One line per model: clean, noisy, MNIST-C-style accuracy and mCE. */
export function summaryLine(m: ModelRobustness, reference: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const mce = Number.isFinite(m.mCE) ? (m.mCE * 100).toFixed(1) : "n/a";
  return `robustness: ${m.model}: MNIST-C-style accuracy ${
    pct(m.mnistCAccuracy)
  }, mCE ${mce} (${reference} = 100), clean ${pct(m.clean.accuracy)}, noisy ${
    pct(m.noisy.accuracy)
  }`;
}

/**
 * The clean MNIST test split of a data folder, its two files first
 * checked against their pinned hashes (what `--export` and `--samples`
 * read outside the stage runner).
 */
export async function loadPinnedCleanTest(
  dataDir: string,
): Promise<MnistSplit> {
  const mnistDir = join(dataDir, "mnist");
  for (const input of mnistStageInputs(mnistDir, ["test"])) {
    if (!(await exists(input.path))) {
      throw new MissingInputError(
        `${input.path} is missing; run \`${input.task}\` first`,
      );
    }
    const actual = await sha256File(input.path);
    if (actual !== input.sha256) {
      throw new ChecksumError(
        input.path,
        input.sha256!,
        actual,
        `run \`${input.task} --force\``,
      );
    }
  }
  return loadMnist(mnistDir, "test");
}

/**
 * The evaluation of one study run, as a stage of its own in
 * `<run>/evaluation/`: the noisy and clean test accuracies from the run's
 * `metrics.json`, and the MNIST-C benchmark's mean accuracy over its
 * fifteen corruptions at MNIST-C's default severities, each applied to
 * the clean test digits (all 10,000, or the first `limit`). Its inputs are
 * the run's manifest (and the model and metrics files it vouches for) and
 * the pinned MNIST test files.
 *
 * @module
 */

import { join } from "node:path";
import { runStage, writeJsonAtomic } from "../core/mod.ts";
import { loadMnist, mnistStageInputs, takeFirst } from "../data/mod.ts";
import { Evaluator, readModelFiles } from "../evaluate/mod.ts";
import { corruptSplit, MNIST_C_CORRUPTIONS } from "../robustness/mod.ts";
import type { ModelMetrics } from "../train/mod.ts";
import { STUDY_FILES, type StudyRun } from "./plan.ts";

/** Bumped when what the evaluation computes changes. */
export const EVALUATION_VERSION = 1;

/**
 * Seed of the corruptions' randomness: one for every run, so every run
 * (and every recipe) is scored on the very same corrupted digits.
 */
export const CORRUPTION_SEED = 42;

/** The task named in errors about a run's files. */
export const STUDY_TASK = "deno task study";

/** `evaluation.json`: what the summary reads of one run. */
export interface RunEvaluation {
  /** The recipe. */
  recipe: string;
  /** The run's seed. */
  seed: number;
  /** `--limit` of the run, if any. */
  limit: number | null;
  /** `--epochs` of the run, if any. */
  epochs: number | null;
  /** Noisy test accuracy (from `metrics.json`). */
  noisy: number;
  /** Clean test accuracy (from `metrics.json`). */
  clean: number;
  /** Mean accuracy over MNIST-C's fifteen at their default severities. */
  mnistC: number;
  /** Accuracy per corruption, at its default severity. */
  corruptions: Record<string, number>;
  /** Clean test digits each corruption was applied to. */
  images: number;
}

/** Options of {@link runEvaluationStage}. */
export interface EvaluationStageOptions {
  /** The data folder (its `mnist/` holds the clean test split). */
  dataDir: string;
  /** The run's folder (with the trained model and its manifest). */
  dir: string;
  /** The run. */
  run: StudyRun;
  /** Rerun even when up to date. */
  force?: boolean;
  /** After each corruption: done of 15, and its name. */
  onProgress?: (done: number, total: number, name: string) => void;
}

/** Evaluate a trained run, or skip when up to date; the evaluation either way. */
export async function runEvaluationStage(
  options: EvaluationStageOptions,
): Promise<{ status: "up to date" | "done"; evaluation: RunEvaluation }> {
  const { run } = options;
  const dir = join(options.dir, STUDY_FILES.evaluationDir);
  const mnistDir = join(options.dataDir, "mnist");
  const files = await readModelFiles(options.dir, {
    name: run.recipe,
    task: STUDY_TASK,
  });
  const result = await runStage<RunEvaluation>({
    stage: "study:evaluate",
    dir,
    params: {
      version: EVALUATION_VERSION,
      seed: CORRUPTION_SEED,
      limit: run.limit,
      corruptions: MNIST_C_CORRUPTIONS.map((c) =>
        `${c.name}@${c.defaultSeverity}`
      ),
    },
    upstream: [{
      name: "run",
      dir: options.dir,
      task: STUDY_TASK,
      files: [...Object.keys(files.sha256), "metrics.json"],
    }],
    inputs: mnistStageInputs(mnistDir, ["test"]),
    rerun: options.force ? "--force" : undefined,
    work: async () => {
      const metrics = JSON.parse(
        await Deno.readTextFile(join(options.dir, "metrics.json")),
      ) as ModelMetrics;
      const full = await loadMnist(mnistDir, "test");
      const clean = run.limit ? takeFirst(full, run.limit) : full;
      const evaluator = await Evaluator.open(files);
      const corruptions: Record<string, number> = {};
      try {
        for (const [i, c] of MNIST_C_CORRUPTIONS.entries()) {
          const split = corruptSplit(
            clean,
            c,
            c.defaultSeverity,
            CORRUPTION_SEED,
          );
          corruptions[c.name] = (await evaluator.evaluate(split)).metrics
            .accuracy;
          options.onProgress?.(i + 1, MNIST_C_CORRUPTIONS.length, c.name);
        }
      } finally {
        evaluator.close();
      }
      const values = Object.values(corruptions);
      const evaluation: RunEvaluation = {
        recipe: run.recipe,
        seed: run.seed,
        limit: run.limit,
        epochs: run.epochs,
        noisy: metrics.test.noisy.accuracy,
        clean: metrics.test.clean.accuracy,
        mnistC: values.reduce((a, b) => a + b, 0) / values.length,
        corruptions,
        images: clean.count,
      };
      await writeJsonAtomic(join(dir, STUDY_FILES.evaluation), evaluation);
      return {
        status: "done",
        outputs: [STUDY_FILES.evaluation],
        results: {
          noisy: evaluation.noisy,
          clean: evaluation.clean,
          mnistC: evaluation.mnistC,
        },
        value: evaluation,
      };
    },
  });
  if (result.status === "done") {
    return { status: "done", evaluation: result.value };
  }
  return {
    status: "up to date",
    evaluation: JSON.parse(
      await Deno.readTextFile(join(dir, STUDY_FILES.evaluation)),
    ) as RunEvaluation,
  };
}

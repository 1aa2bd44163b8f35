/**
 * Running a study: every run of the plan trained (through the training
 * stage, into its own folder; an interrupted run resumes from its
 * checkpoint) and evaluated, then the summary. Up-to-date runs are
 * skipped, so a study stopped with Ctrl-C continues where it stopped.
 *
 * @module
 */

import {
  type BatchProgress,
  type EpochRecord,
  type Recipe,
  RECIPES,
  runTrainStage,
  trainStageParams,
} from "../train/mod.ts";
import { isCollectedRunCurrent } from "./current.ts";
import { type RunEvaluation, runEvaluationStage } from "./evaluate.ts";
import {
  planRuns,
  runDir,
  runLabel,
  type StudyPlan,
  type StudyRun,
} from "./plan.ts";
import {
  type PublishedFigures,
  runSummaryStage,
  type StudySummary,
} from "./summary.ts";

/** How a run got its model. */
export type RunStatus = "trained" | "up to date" | "collected";

/** One finished run. */
export interface RunOutcome {
  /** The run. */
  run: StudyRun;
  /** Trained now, already up to date, or collected from elsewhere. */
  status: RunStatus;
  /** Its evaluation. */
  evaluation: RunEvaluation;
}

/** Options of {@link runStudy}. */
export interface StudyOptions {
  /** The data folder (with `noisy/` and `mnist/`). */
  dataDir: string;
  /** What to train. */
  plan: StudyPlan;
  /** The study's published noisy accuracy per architecture. */
  published: PublishedFigures;
  /** One-line status messages. */
  onLog?: (line: string) => void;
  /** A run starts (index of total, 0-based). */
  onRunStart?: (run: StudyRun, index: number, total: number) => void;
  /** Progress within a training epoch. */
  onBatch?: (run: StudyRun, p: BatchProgress, imagesPerEpoch: number) => void;
  /** A training epoch ended (what `train:*` logs per epoch). */
  onEpoch?: (run: StudyRun, record: EpochRecord, epochs: number) => void;
  /** Progress of a run's evaluation: corruptions done of total. */
  onEvaluate?: (run: StudyRun, done: number, total: number) => void;
  /** A run is trained and evaluated. */
  onRunDone?: (outcome: RunOutcome) => void;
  /** Polled between batches; true stops the run with a checkpoint. */
  shouldStop?: () => boolean;
}

/** What {@link runStudy} did. */
export type StudyResult =
  | { status: "interrupted"; run: StudyRun; checkpoint: string }
  | {
    status: "done";
    runs: RunOutcome[];
    summary: StudySummary;
    summaryStatus: "up to date" | "done";
  };

/** The recipe a run trains with: its seed, and `--epochs` if given. */
export function runRecipe(run: StudyRun): Recipe {
  const base = RECIPES[run.recipe] as Recipe;
  return { ...base, seed: run.seed, epochs: run.epochs ?? base.epochs };
}

/** Train and evaluate every run of the plan, then write the summary. */
export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const runs = planRuns(options.plan);
  const outcomes: RunOutcome[] = [];
  for (const [index, run] of runs.entries()) {
    options.onRunStart?.(run, index, runs.length);
    const dir = runDir(options.dataDir, run);
    const recipe = runRecipe(run);
    const limit = run.limit ?? undefined;
    const backend = "auto";
    const params = trainStageParams({ recipe, limit, backend });
    let status: RunStatus;
    if (await isCollectedRunCurrent(options.dataDir, dir, params)) {
      status = "collected";
    } else {
      const trained = await runTrainStage({
        model: recipe.model,
        name: run.recipe,
        recipe,
        dataDir: options.dataDir,
        modelDir: dir,
        limit,
        backend,
        // An interrupted run continues from its checkpoint; one left by a
        // run whose recipe or inputs have changed since is set aside.
        resume: "if-current",
        onLog: (line) =>
          options.onLog?.(line.replace(/^train:\S+/, `study ${runLabel(run)}`)),
        onBatch: (p, n) => options.onBatch?.(run, p, n),
        onEpoch: (record) => options.onEpoch?.(run, record, recipe.epochs),
        shouldStop: options.shouldStop,
      });
      if (trained.status === "interrupted") {
        return { status: "interrupted", run, checkpoint: trained.checkpoint };
      }
      status = trained.status;
    }
    const { evaluation } = await runEvaluationStage({
      dataDir: options.dataDir,
      dir,
      run,
      onProgress: (done, total) => options.onEvaluate?.(run, done, total),
    });
    const outcome = { run, status, evaluation };
    outcomes.push(outcome);
    options.onRunDone?.(outcome);
  }
  const summary = await runSummaryStage({
    dataDir: options.dataDir,
    plan: options.plan,
    published: options.published,
  });
  return {
    status: "done",
    runs: outcomes,
    summary: summary.summary,
    summaryStatus: summary.status,
  };
}

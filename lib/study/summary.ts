/**
 * `study/summary.json`: every recipe's figures across seeds (mean, sd,
 * 95 % t-interval of noisy, clean and MNIST-C accuracy), the paired
 * difference of every pair of recipes over their shared seeds, and how
 * many seeds reach the study's published figure. {@link summarizeStudy}
 * computes it; {@link runSummaryStage} writes it with a manifest that
 * records each run's evaluation manifest as an input.
 *
 * @module
 */

import { join } from "node:path";
import { runStage, type UpstreamStage, writeJsonAtomic } from "../core/mod.ts";
import { RECIPES } from "../train/mod.ts";
import type { RunEvaluation } from "./evaluate.ts";
import { STUDY_TASK } from "./evaluate.ts";
import {
  planRuns,
  runPath,
  STUDY_DIR,
  STUDY_FILES,
  type StudyPlan,
} from "./plan.ts";
import { type IntervalSummary, pairedDifference, tInterval } from "./stats.ts";

/** Bumped when the summary's shape or arithmetic changes. */
export const SUMMARY_VERSION = 1;

/** The metrics summarised, as named in `summary.json`. */
export const STUDY_METRICS = ["noisy", "clean", "mnistC"] as const;

/** One metric: `noisy`, `clean` or `mnistC` (test accuracies, 0–1). */
export type StudyMetric = typeof STUDY_METRICS[number];

/** One metric of one recipe across seeds. */
export interface MetricSummary extends IntervalSummary {
  /** Each seed's value, in the order of {@link StudySummary.seeds}. */
  values: number[];
}

/** One recipe across seeds. */
export interface RecipeSummary {
  /** The recipe. */
  recipe: string;
  /** Its architecture (`dense`, `cnn`). */
  model: string;
  /** Each metric. */
  metrics: Record<StudyMetric, MetricSummary>;
  /** The study's published noisy accuracy for this architecture, if any. */
  published: number | null;
  /** Seeds whose noisy accuracy is at least {@link published}. */
  seedsReachingPublished: number;
}

/** Recipe `a` minus recipe `b` on one metric, paired by seed. */
export interface PairSummary extends IntervalSummary {
  /** First recipe. */
  a: string;
  /** Second recipe. */
  b: string;
  /** Which metric. */
  metric: StudyMetric;
}

/** `summary.json`. */
export interface StudySummary {
  /** {@link SUMMARY_VERSION}. */
  version: number;
  /** Confidence of every interval (0.95). */
  confidence: number;
  /** The seeds, in order. */
  seeds: number[];
  /** `--limit` of every run, if any. */
  limit: number | null;
  /** `--epochs` of every run, if any. */
  epochs: number | null;
  /** Per recipe, in the plan's order. */
  recipes: RecipeSummary[];
  /** Per pair of recipes (plan order) and metric. */
  pairs: PairSummary[];
}

/** The study's published noisy accuracy per architecture. */
export type PublishedFigures = Readonly<Record<string, number>>;

/**
 * The summary of a plan's evaluations (every run of the plan must have
 * one). `published` maps an architecture to the study's figure.
 */
export function summarizeStudy(
  plan: StudyPlan,
  evaluations: readonly RunEvaluation[],
  published: PublishedFigures,
  confidence = 0.95,
): StudySummary {
  const find = (recipe: string, seed: number) => {
    const e = evaluations.find((x) => x.recipe === recipe && x.seed === seed);
    if (!e) throw new RangeError(`no evaluation of ${recipe} seed ${seed}`);
    return e;
  };
  const valuesOf = (recipe: string, metric: StudyMetric) =>
    plan.seeds.map((seed) => find(recipe, seed)[metric]);
  const recipes = plan.recipes.map((recipe): RecipeSummary => {
    const model = modelOf(recipe);
    const metrics = Object.fromEntries(STUDY_METRICS.map((metric) => {
      const values = valuesOf(recipe, metric);
      return [metric, { ...tInterval(values, confidence), values }];
    })) as Record<StudyMetric, MetricSummary>;
    const figure = Object.hasOwn(published, model) ? published[model] : null;
    return {
      recipe,
      model,
      metrics,
      published: figure,
      seedsReachingPublished: figure === null
        ? 0
        : metrics.noisy.values.filter((v) => v >= figure).length,
    };
  });
  const pairs: PairSummary[] = [];
  for (const [i, a] of plan.recipes.entries()) {
    for (const b of plan.recipes.slice(i + 1)) {
      for (const metric of STUDY_METRICS) {
        pairs.push({
          a,
          b,
          metric,
          ...pairedDifference(
            valuesOf(a, metric),
            valuesOf(b, metric),
            confidence,
          ),
        });
      }
    }
  }
  return {
    version: SUMMARY_VERSION,
    confidence,
    seeds: [...plan.seeds],
    limit: plan.limit,
    epochs: plan.epochs,
    recipes,
    pairs,
  };
}

/** A recipe's architecture (its `model` field). */
function modelOf(recipe: string): string {
  const r = (RECIPES as Readonly<Record<string, { model: string }>>)[recipe];
  return r ? r.model : recipe;
}

/** Options of {@link runSummaryStage}. */
export interface SummaryStageOptions {
  /** The data folder. */
  dataDir: string;
  /** The plan whose runs are all evaluated. */
  plan: StudyPlan;
  /** The study's published figures per architecture. */
  published: PublishedFigures;
}

/**
 * Write `study/summary.json` (and the study folder's manifest, last) from
 * the plan's evaluations, each checked against its run's evaluation
 * manifest; skipped when up to date.
 */
export async function runSummaryStage(
  options: SummaryStageOptions,
): Promise<{ status: "up to date" | "done"; summary: StudySummary }> {
  const dir = join(options.dataDir, STUDY_DIR);
  const runs = planRuns(options.plan);
  const upstream: UpstreamStage[] = runs.map((run) => ({
    name: join(runPath(run), STUDY_FILES.evaluationDir),
    dir: join(options.dataDir, runPath(run), STUDY_FILES.evaluationDir),
    task: STUDY_TASK,
    files: [STUDY_FILES.evaluation],
  }));
  const path = join(dir, STUDY_FILES.summary);
  const result = await runStage<StudySummary>({
    stage: "study",
    dir,
    params: {
      version: SUMMARY_VERSION,
      seeds: options.plan.seeds,
      recipes: options.plan.recipes,
      limit: options.plan.limit,
      epochs: options.plan.epochs,
      published: { ...options.published },
    },
    upstream,
    work: async () => {
      const evaluations: RunEvaluation[] = [];
      for (const stage of upstream) {
        evaluations.push(
          JSON.parse(
            await Deno.readTextFile(join(stage.dir, STUDY_FILES.evaluation)),
          ) as RunEvaluation,
        );
      }
      const summary = summarizeStudy(
        options.plan,
        evaluations,
        options.published,
      );
      await writeJsonAtomic(path, summary);
      return {
        status: "done",
        outputs: [STUDY_FILES.summary],
        value: summary,
      };
    },
  });
  if (result.status === "done") {
    return { status: "done", summary: result.value };
  }
  return {
    status: "up to date",
    summary: JSON.parse(await Deno.readTextFile(path)) as StudySummary,
  };
}

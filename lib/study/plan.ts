/**
 * Which runs a study makes and where each one lives: one folder per
 * recipe and seed, `<data-dir>/study/<recipe>/seed-<k>`, with `--limit`
 * and `--epochs` in the name when given (`seed-1-limit500-epochs1`), so a
 * quick run never passes for a full one.
 *
 * ```ts
 * import { runFolderName } from "./plan.ts";
 *
 * console.log(runFolderName({ seed: 1, limit: 500, epochs: 1 }));
 * // seed-1-limit500-epochs1
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError } from "../core/mod.ts";
import { RECIPES } from "../train/mod.ts";

/** A recipe the study can train: a key of `RECIPES`. */
export type RecipeName = keyof typeof RECIPES & string;

/** The recipe names known today, in `RECIPES` order. */
export function recipeNames(): RecipeName[] {
  return Object.keys(RECIPES) as RecipeName[];
}

/** The study's folder, relative to the data folder. */
export const STUDY_DIR = "study";

/** The files of a study (`summary.json` in the study folder). */
export const STUDY_FILES = {
  summary: "summary.json",
  evaluation: "evaluation.json",
  /** The evaluation stage's subfolder of a run folder. */
  evaluationDir: "evaluation",
  /** Where collected runs' noisy manifests are kept (by SHA-256). */
  upstreamDir: "upstream",
} as const;

/** One run of a study: a recipe trained under one seed. */
export interface StudyRun {
  /** The recipe. */
  recipe: RecipeName;
  /** The seed of its weights, hold-out, shuffles and dropout. */
  seed: number;
  /** Train on the first N images only (a quick run), else null. */
  limit: number | null;
  /** Epochs instead of the recipe's, else null. */
  epochs: number | null;
}

/** What a study trains: every recipe under every seed. */
export interface StudyPlan {
  /** Seeds, in the order given. */
  seeds: number[];
  /** Recipes, in the order given. */
  recipes: RecipeName[];
  /** `--limit`, if any. */
  limit: number | null;
  /** `--epochs`, if any. */
  epochs: number | null;
}

/**
 * A plan checked: at least one seed and recipe, no repeats, and every
 * recipe a key of `RECIPES` (a one-line {@link ConfigError} otherwise).
 */
export function makePlan(
  seeds: readonly number[],
  recipes: readonly string[],
  limit?: number | null,
  epochs?: number | null,
): StudyPlan {
  if (seeds.length === 0) throw new ConfigError("seeds", "give at least one");
  if (new Set(seeds).size !== seeds.length) {
    throw new ConfigError("seeds", `repeated seed in ${seeds.join(",")}`);
  }
  const known = recipeNames() as string[];
  for (const r of recipes) {
    if (!known.includes(r)) {
      throw new ConfigError(
        "models",
        `unknown recipe "${r}"; valid: ${known.join(", ")}`,
      );
    }
  }
  if (recipes.length === 0) {
    throw new ConfigError("models", "give at least one");
  }
  if (new Set(recipes).size !== recipes.length) {
    throw new ConfigError("models", `repeated recipe in ${recipes.join(",")}`);
  }
  return {
    seeds: [...seeds],
    recipes: [...recipes] as RecipeName[],
    limit: limit ?? null,
    epochs: epochs ?? null,
  };
}

/** The runs of a plan, recipe by recipe, each over every seed. */
export function planRuns(plan: StudyPlan): StudyRun[] {
  return plan.recipes.flatMap((recipe) =>
    plan.seeds.map((seed) => ({
      recipe,
      seed,
      limit: plan.limit,
      epochs: plan.epochs,
    }))
  );
}

/**
 * A run's folder name: `seed-<k>`, then `-limit<N>` and `-epochs<E>` when
 * given, so quick runs and full runs never share a folder.
 */
export function runFolderName(run: Omit<StudyRun, "recipe">): string {
  let name = `seed-${run.seed}`;
  if (run.limit !== null) name += `-limit${run.limit}`;
  if (run.epochs !== null) name += `-epochs${run.epochs}`;
  return name;
}

/** `study/<recipe>/<run folder>` relative to the data folder. */
export function runPath(run: StudyRun): string {
  return join(STUDY_DIR, run.recipe, runFolderName(run));
}

/** A run's folder on disk. */
export function runDir(dataDir: string, run: StudyRun): string {
  return join(dataDir, runPath(run));
}

/** A run for messages: `dense seed 1 (limit 500, 1 epoch)`. */
export function runLabel(run: StudyRun): string {
  const extras = [
    run.limit !== null ? `limit ${run.limit}` : "",
    run.epochs !== null
      ? `${run.epochs} epoch${run.epochs === 1 ? "" : "s"}`
      : "",
  ].filter(Boolean);
  return `${run.recipe} seed ${run.seed}${
    extras.length ? ` (${extras.join(", ")})` : ""
  }`;
}

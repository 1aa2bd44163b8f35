/**
 * The robustness sweep in memory: every corruption of the catalogue at
 * every severity applied to the clean test split, each corrupted split
 * generated once and given to every model, then the summary figures
 * (MNIST-C-style accuracy, corruption errors, mCE) against a reference.
 *
 * Models are anything with `evaluate(split) → metrics` (lib/evaluate's
 * `Evaluator`), so the sweep does not depend on how they run.
 *
 * @module
 */

import type { MnistSplit } from "../data/mod.ts";
import { CORRUPTIONS } from "./catalogue.ts";
import { corruptSplit } from "./corrupt.ts";
import { type Corruption, SEVERITIES, type Severity } from "./corruption.ts";
import type {
  CorruptionInfo,
  ModelRobustness,
  RobustnessCell,
  RobustnessResults,
} from "./results.ts";
import { corruptionError, meanOf, relativeCorruptionError } from "./scores.ts";

/** A model as the sweep sees it. */
export interface SweepModel {
  /** Its name (`dense`, `cnn`…). */
  name: string;
  /** SHA-256 of its `manifest.json`. */
  manifestSha256: string;
  /** Accuracy, loss and count of the model on a split. */
  evaluate(split: MnistSplit): Promise<RobustnessCell>;
}

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** The clean test split (already cut to `--limit`). */
  clean: MnistSplit;
  /** The noisy test split (already cut to `--limit`). */
  noisy: MnistSplit;
  /** The models, the reference among them. */
  models: readonly SweepModel[];
  /** The model errors are normalised by. */
  reference: string;
  /** Seed of the corruptions' keyed randomness. */
  seed: number;
  /** Corruptions to sweep (default: the whole catalogue). */
  corruptions?: readonly Corruption[];
  /**
   * Where corrupted splits come from (default: `corruptSplit` on this
   * thread). The next one is requested before the models evaluate the
   * current one, so a generator on another thread overlaps with them.
   */
  generate?: (
    corruption: Corruption,
    severity: Severity,
  ) => Promise<MnistSplit>;
  /** After each split: splits done of total, and what was just done. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Seconds spent corrupting and evaluating. */
export interface SweepTimings {
  /**
   * Waiting for corrupted splits: all of their generation on this thread,
   * only what evaluation did not hide when generated elsewhere.
   */
  corrupt: number;
  /** Evaluating models (all of them, every split). */
  evaluate: number;
}

/** The catalogue as the results describe it. */
export function corruptionInfos(
  corruptions: readonly Corruption[] = CORRUPTIONS,
): CorruptionInfo[] {
  return corruptions.map((c) => ({
    name: c.name,
    group: c.group,
    defaultSeverity: c.defaultSeverity,
  }));
}

/**
 * Corrupt the clean split by each corruption at each severity (once per
 * split) and evaluate every model on it, plus on the clean and noisy
 * splits; then score against the reference.
 */
export async function runSweep(
  options: SweepOptions,
): Promise<{ results: RobustnessResults; timings: SweepTimings }> {
  const corruptions = options.corruptions ?? CORRUPTIONS;
  const { models } = options;
  if (!models.some((m) => m.name === options.reference)) {
    throw new RangeError(`reference model "${options.reference}" not swept`);
  }
  const total = 2 + corruptions.length * SEVERITIES.length;
  let done = 0;
  const timings: SweepTimings = { corrupt: 0, evaluate: 0 };
  const evaluateAll = async (split: MnistSplit, label: string) => {
    const t = performance.now();
    const cells: RobustnessCell[] = [];
    for (const model of models) cells.push(await model.evaluate(split));
    timings.evaluate += (performance.now() - t) / 1000;
    options.onProgress?.(++done, total, label);
    return cells;
  };
  const clean = await evaluateAll(options.clean, "clean");
  const noisy = await evaluateAll(options.noisy, "noisy");
  const cells = models.map(() => ({} as Record<string, RobustnessCell[]>));
  const generate = options.generate ??
    ((c: Corruption, s: Severity) =>
      Promise.resolve(corruptSplit(options.clean, c, s, options.seed)));
  const pairs = corruptions.flatMap((c) =>
    SEVERITIES.map((s) => [c, s] as const)
  );
  let next = pairs.length > 0 ? generate(...pairs[0]) : undefined;
  try {
    for (const [k, [corruption, severity]] of pairs.entries()) {
      const t = performance.now();
      const split = await next!;
      next = k + 1 < pairs.length ? generate(...pairs[k + 1]) : undefined;
      timings.corrupt += (performance.now() - t) / 1000;
      const results = await evaluateAll(
        split,
        `${corruption.name} ${severity}`,
      );
      results.forEach((cell, m) => {
        (cells[m][corruption.name] ??= []).push(cell);
      });
    }
  } finally {
    // A split requested but not awaited must not fail unhandled.
    next?.catch(() => {});
  }
  const perModel = models.map((model, m) => ({
    model: model.name,
    manifestSha256: model.manifestSha256,
    clean: clean[m],
    noisy: noisy[m],
    corruptions: cells[m],
  }));
  return {
    results: {
      seed: options.seed,
      images: options.clean.count,
      reference: options.reference,
      corruptions: corruptionInfos(corruptions),
      models: scoreModels(perModel, corruptions, options.reference),
    },
    timings,
  };
}

/** A model's cells before scoring. */
export type ModelCells = Pick<
  ModelRobustness,
  "model" | "manifestSha256" | "clean" | "noisy" | "corruptions"
>;

const errorOf = (cell: RobustnessCell) => 1 - cell.accuracy;

/**
 * Add the summary figures to each model's cells: MNIST-C-style accuracy
 * (mean over MNIST-C's corruptions at their default severities), the
 * corruption error of each MNIST-C corruption against `reference`, mCE
 * and relative mCE. A corruption on which the reference makes no error
 * at any severity has an undefined CE (NaN, `null` in JSON).
 */
export function scoreModels(
  models: readonly ModelCells[],
  corruptions: readonly Corruption[],
  reference: string,
): ModelRobustness[] {
  const ref = models.find((m) => m.model === reference);
  if (!ref) throw new RangeError(`no reference model "${reference}"`);
  const mnistC = corruptions.filter((c) => c.group === "mnist-c");
  return models.map((model) => {
    const corruptionErrors: Record<string, number> = {};
    const relative: number[] = [];
    for (const c of mnistC) {
      const errors = model.corruptions[c.name].map(errorOf);
      const refErrors = ref.corruptions[c.name].map(errorOf);
      corruptionErrors[c.name] = refErrors.some((e) => e > 0)
        ? corruptionError(errors, refErrors)
        : NaN;
      relative.push(relativeCorruptionError(
        errors,
        errorOf(model.clean),
        refErrors,
        errorOf(ref.clean),
      ));
    }
    const atDefault = (c: Corruption) =>
      model.corruptions[c.name][c.defaultSeverity - 1].accuracy;
    return {
      ...model,
      mnistCAccuracy: mnistC.length ? meanOf(mnistC.map(atDefault)) : NaN,
      corruptionErrors,
      mCE: mnistC.length ? meanOf(Object.values(corruptionErrors)) : NaN,
      relativeMCE: mnistC.length ? meanOf(relative) : NaN,
    };
  });
}

/** `severity` checked as one of 1–5. */
export function asSeverity(severity: number): Severity {
  if (!(SEVERITIES as readonly number[]).includes(severity)) {
    throw new RangeError(`severity must be 1–5, got ${severity}`);
  }
  return severity as Severity;
}

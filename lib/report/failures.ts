/**
 * Where the models fail: picking the misclassified test digits worth
 * looking at from the per-image predictions.
 *
 * @module
 */

import type { PredictionSet } from "./load.ts";

/** One test image a model got wrong. */
export interface Mistake {
  /** Index in the noisy test split. */
  index: number;
  /** True digit. */
  label: number;
  /** The model's prediction. */
  predicted: number;
  /** The model's probability for its prediction. */
  confidence: number;
}

/** A selection of mistakes and how many there were in all. */
export interface MistakeSelection {
  /** The mistakes shown, most confident first. */
  items: Mistake[];
  /** All images that met the condition. */
  total: number;
}

function byConfidence(a: Mistake, b: Mistake): number {
  return b.confidence - a.confidence || a.index - b.index;
}

/**
 * The model's mistakes, most confident first: a confident mistake is the
 * most instructive one (and the most dangerous in use).
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const [model] = inputs.models;
 * const { items, total } = confidentMistakes(
 *   inputs.noisy.test.labels,
 *   model.predictions.noisy,
 *   24,
 * );
 * ```
 */
export function confidentMistakes(
  labels: ArrayLike<number>,
  set: PredictionSet,
  limit: number,
): MistakeSelection {
  const all: Mistake[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (set.predicted[i] !== labels[i]) {
      all.push({
        index: i,
        label: labels[i],
        predicted: set.predicted[i],
        confidence: set.confidence[i],
      });
    }
  }
  all.sort(byConfidence);
  return { items: all.slice(0, limit), total: all.length };
}

/**
 * Images model `wrong` misclassifies and model `right` gets right, ordered
 * by how sure `wrong` was of its mistake. The mistakes carry `wrong`'s
 * prediction; `rightConfidence` holds `right`'s confidence per item.
 */
export function wrongButRight(
  labels: ArrayLike<number>,
  wrong: PredictionSet,
  right: PredictionSet,
  limit: number,
): MistakeSelection & { rightConfidence: number[] } {
  const all: Mistake[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (wrong.predicted[i] !== labels[i] && right.predicted[i] === labels[i]) {
      all.push({
        index: i,
        label: labels[i],
        predicted: wrong.predicted[i],
        confidence: wrong.confidence[i],
      });
    }
  }
  all.sort(byConfidence);
  const items = all.slice(0, limit);
  return {
    items,
    total: all.length,
    rightConfidence: items.map((m) => right.confidence[m.index]),
  };
}

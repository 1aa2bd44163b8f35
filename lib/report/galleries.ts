/**
 * Section 5's galleries: the digits each model gets wrong with the most
 * confidence, and, with both models trained, the digits the dense net
 * gets wrong and the CNN right. Each digit becomes a {@link DigitTile}
 * holding its enlarged PNG and the file it is written to.
 *
 * @module
 */

import { findModel } from "./artifacts.ts";
import { MODEL_LABELS } from "./charts.ts";
import { type DigitTile, type Gallery, GALLERY_SIZE } from "./content_types.ts";
import { digitPng } from "./digits.ts";
import {
  confidentMistakes,
  type Mistake,
  type MistakeSelection,
  wrongButRight,
} from "./failures.ts";
import { formatInt, formatPercent } from "./format.ts";
import type { ReportInputs } from "./load.ts";

/**
 * The tiles of a selection. File names carry the gallery id as well as the
 * image index because one digit can appear in two galleries.
 */
function tiles(
  galleryId: string,
  inputs: ReportInputs,
  selection: MistakeSelection,
  note?: (m: Mistake, i: number) => string,
): DigitTile[] {
  return selection.items.map((m, i) => ({
    ...m,
    note: note?.(m, i),
    png: digitPng(inputs.noisy.test, m.index),
    file: `figures/digits/${galleryId}-${m.index}.png`,
  }));
}

/** `All 19` or `24 of its 55`, for a gallery's description. */
function shownOf(selection: MistakeSelection): string {
  return selection.items.length === selection.total
    ? `All ${formatInt(selection.total)}`
    : `${selection.items.length} of ${formatInt(selection.total)}`;
}

/**
 * The galleries of the trained models, each showing at most
 * {@link GALLERY_SIZE} digits: one per model of its most confident
 * mistakes, then, when both models are trained, the dense net's mistakes
 * the CNN gets right.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * for (const g of galleries(inputs)) console.log(g.id, g.tiles.length, g.total);
 * ```
 */
export function galleries(inputs: ReportInputs): Gallery[] {
  const labels = inputs.noisy.test.labels;
  const out: Gallery[] = [];
  for (const model of inputs.models) {
    const id = `mistakes-${model.name}`;
    const selection = confidentMistakes(
      labels,
      model.predictions.noisy,
      GALLERY_SIZE,
    );
    out.push({
      id,
      title: `${MODEL_LABELS[model.name]}: most confident mistakes`,
      description: `${
        shownOf(selection)
      } misclassified noisy test digits, the ones it was surest about first.`,
      tiles: tiles(id, inputs, selection),
      total: selection.total,
    });
  }
  const dense = findModel(inputs, "dense");
  const cnn = findModel(inputs, "cnn");
  if (dense && cnn) {
    const id = "dense-wrong-cnn-right";
    const selection = wrongButRight(
      labels,
      dense.predictions.noisy,
      cnn.predictions.noisy,
      GALLERY_SIZE,
    );
    out.push({
      id,
      title: "Wrong for the dense net, right for the CNN",
      description: `${
        shownOf(selection)
      } noisy test digits the dense net misclassifies and the CNN gets right, the dense net's surest mistakes first; below each, the CNN's confidence in the true digit.`,
      tiles: tiles(
        id,
        inputs,
        selection,
        (_, i) => `CNN: ${formatPercent(selection.rightConfidence[i], 1)} sure`,
      ),
      total: selection.total,
    });
  }
  return out;
}

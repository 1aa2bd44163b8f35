/**
 * Small questions about the loaded models that several parts of the
 * report ask: which models are there, and how many test digits each got
 * right. Answered in one place so the summary, the findings, the charts
 * and the galleries count the same way.
 *
 * @module
 */

import type { ModelName } from "../train/mod.ts";
import type { ModelArtifacts, ReportInputs } from "./load.ts";

/**
 * Noisy test images a model classified correctly: the diagonal of its
 * confusion matrix. Counted from the matrix rather than derived from the
 * accuracy, so Wilson intervals and error counts get an exact integer.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const [model] = (await loadReportInputs("data")).models;
 * const errors = model.metrics.test.noisy.count - correctCount(model);
 * ```
 */
export function correctCount(model: ModelArtifacts): number {
  return model.metrics.test.noisy.confusion.reduce(
    (sum, row, t) => sum + row[t],
    0,
  );
}

/**
 * A model of the inputs by name, or `undefined` when it is not trained
 * (the report still builds with one model; callers decide what to omit).
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const cnn = findModel(inputs, "cnn");
 * if (cnn) console.log(cnn.metrics.test.noisy.accuracy);
 * ```
 */
export function findModel(
  inputs: ReportInputs,
  name: ModelName,
): ModelArtifacts | undefined {
  return inputs.models.find((m) => m.name === name);
}

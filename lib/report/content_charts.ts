/**
 * The report's charts as content: which charts it shows, what each plots
 * and the caption that explains it. The Vega-Lite specs and the SVG
 * rendering live in charts.ts; this module chooses the data and the words.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { correctCount } from "./artifacts.ts";
import {
  type AccuracyBar,
  accuracySpec,
  type Chart,
  confusionSpec,
  learningCurvesSpec,
  learningRateSpec,
  MODEL_LABELS,
  namespaceSvgIds,
  perClassSpec,
  renderSvg,
} from "./charts.ts";
import { STUDY_ACCURACY } from "./content_types.ts";
import type { ReportInputs } from "./load.ts";
import { wilsonInterval } from "../evaluate/mod.ts";

/**
 * Render a spec to a {@link Chart}. SVG ids are prefixed with the chart's
 * id because the HTML page inlines every chart, and two charts' clip paths
 * or gradients with the same id would collide.
 */
export async function chart(
  id: string,
  title: string,
  caption: string,
  spec: TopLevelSpec,
): Promise<Chart> {
  return {
    id,
    title,
    caption,
    svg: namespaceSvgIds(await renderSvg(spec), id),
  };
}

/**
 * The accuracy overview: per model, our noisy and clean test accuracy
 * with 95 % Wilson intervals, beside the study's published noisy figure.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const svg = (await accuracyChart(inputs)).svg;
 * ```
 */
export function accuracyChart(inputs: ReportInputs): Promise<Chart> {
  const series = ["noisy test (ours)", "clean test (ours)", "noisy (study)"];
  const bars: AccuracyBar[] = inputs.models.flatMap((m) => {
    const noisy = m.metrics.test.noisy;
    const clean = m.metrics.test.clean;
    const ci = wilsonInterval(correctCount(m), noisy.count);
    const cleanCorrect = clean.confusion.reduce((s, r, t) => s + r[t], 0);
    const cleanCi = wilsonInterval(cleanCorrect, clean.count);
    return [
      { model: m.name, series: series[0], accuracy: noisy.accuracy, ...ci },
      {
        model: m.name,
        series: series[1],
        accuracy: clean.accuracy,
        ...cleanCi,
      },
      { model: m.name, series: series[2], accuracy: STUDY_ACCURACY[m.name] },
    ];
  });
  return chart(
    "accuracy",
    "Accuracy at a glance",
    "Test accuracy per model: ours on the noisy and on the clean test split (black bars: 95 % intervals), and the study's published noisy-test figure.",
    accuracySpec(bars, series),
  );
}

/**
 * Section 2: loss and accuracy per epoch, then the learning rate, for
 * every trained model.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const [curves, rate] = await learningCharts(inputs);
 * ```
 */
export async function learningCharts(inputs: ReportInputs): Promise<Chart[]> {
  const histories = inputs.models.map((m) => ({
    model: m.name,
    epochs: m.history,
  }));
  return [
    await chart(
      "learning-curves",
      "Loss and accuracy per epoch",
      "Solid: training split; dashed: the 20 % held out for validation. A widening gap between them is overfitting.",
      learningCurvesSpec(histories),
    ),
    await chart(
      "learning-rate",
      "Learning rate",
      "The rate each epoch ran with (log scale); the CNN halves it when validation loss stalls. The dense net's rate is constant; where both are the same, the CNN's line covers it.",
      learningRateSpec(histories),
    ),
  ];
}

/**
 * Section 3: one confusion matrix per trained model, on the noisy test
 * split.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const ids = (await confusionCharts(inputs)).map((c) => c.id);
 * // ["confusion-dense", "confusion-cnn"]
 * ```
 */
export function confusionCharts(inputs: ReportInputs): Promise<Chart[]> {
  return Promise.all(
    inputs.models.map((m) =>
      chart(
        `confusion-${m.name}`,
        `Confusion matrix: ${MODEL_LABELS[m.name]}`,
        "Rows are the true digit, columns the prediction, on the noisy test split. Colour: share of the row; number: images.",
        confusionSpec(m.name, m.metrics.test.noisy.confusion),
      )
    ),
  );
}

/**
 * Section 3: precision, recall and F1 per digit for every trained model,
 * on the noisy test split.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const chart = await perClassChart(inputs);
 * ```
 */
export function perClassChart(inputs: ReportInputs): Promise<Chart> {
  return chart(
    "per-class",
    "Precision, recall and F1 per digit",
    "On the noisy test split. Precision: of the images predicted as a digit, the share that are it; recall: of the images of a digit, the share found.",
    perClassSpec(
      inputs.models.map((m) => ({
        model: m.name,
        perClass: m.metrics.test.noisy.perClass,
      })),
    ),
  );
}

/**
 * "All trained models": when `models/` holds more than the study's two
 * (a recipe variant such as `cnn-robust`), the report compares every
 * trained model on the noisy test, the clean test and the robustness
 * benchmark in one table and one chart, and the headline mentions the
 * extra models. Without extra models there is no such section, so a
 * two-model report reads as it always has.
 *
 * @module
 */

import type { ModelRobustness } from "../robustness/mod.ts";
import { type AccuracyBar, accuracySpec, type Chart } from "./charts.ts";
import { chart } from "./content_charts.ts";
import type { SummaryCell, SummaryTable } from "./content_types.ts";
import { formatPercent, formatPoints } from "./format.ts";
import type { ReportInputs, TrainedModel } from "./load.ts";
import { modelLabel } from "./model_names.ts";

/** The `data-metric` keys of the comparison table, in row order. */
export const MODELS_METRICS = {
  architecture: "all-architecture",
  noisy: "all-noisy",
  clean: "all-clean",
  mnistC: "all-mnist-c",
  mce: "all-mce",
} as const;

/** The comparison of every trained model. */
export interface ModelsSection {
  /** What it shows (inline markup). */
  text: string;
  /** Models as columns; noisy, clean, MNIST-C mean and mCE as rows. */
  table: SummaryTable;
  /** Noisy, clean and MNIST-C mean accuracy per model. */
  chart: Chart;
}

/** Every trained model, the study's first. */
function allModels(inputs: ReportInputs): TrainedModel[] {
  return [...inputs.models, ...inputs.extraModels];
}

/** Robustness figures per model, when the results are fresh. */
function robustnessOf(
  inputs: ReportInputs,
): Map<string, ModelRobustness> | undefined {
  const r = inputs.robustness;
  if (r.status !== "fresh") return undefined;
  return new Map(r.results.models.map((m) => [m.model, m]));
}

function comparisonTable(inputs: ReportInputs): SummaryTable {
  const models = allModels(inputs);
  const robust = robustnessOf(inputs);
  const row = (
    key: string,
    label: string,
    cell: (m: TrainedModel) => SummaryCell | undefined,
  ) => ({
    key,
    label,
    cells: Object.fromEntries(
      models.flatMap((m) => {
        const c = cell(m);
        return c ? [[m.name, c]] : [];
      }),
    ),
  });
  return {
    models: models.map((m) => m.name),
    missing: {},
    rows: [
      row(MODELS_METRICS.architecture, "Architecture", (m) => ({
        text: modelLabel(m.metrics.model),
        detail: `${m.metrics.epochsRun} epochs${
          m.metrics.limit ? `, ${m.metrics.limit} images` : ""
        }`,
      })),
      row(MODELS_METRICS.noisy, "Accuracy, noisy test", (m) => ({
        text: formatPercent(m.metrics.test.noisy.accuracy),
      })),
      row(MODELS_METRICS.clean, "Accuracy, clean test", (m) => ({
        text: formatPercent(m.metrics.test.clean.accuracy),
      })),
      row(
        MODELS_METRICS.mnistC,
        "MNIST-C accuracy (default severities)",
        (m) => {
          const r = robust?.get(m.name);
          return r && {
            text: formatPercent(r.mnistCAccuracy),
            detail: `${
              formatPoints(r.mnistCAccuracy - r.clean.accuracy)
            } vs clean`,
          };
        },
      ),
      row(MODELS_METRICS.mce, "mCE (lower is better)", (m) => {
        const r = robust?.get(m.name);
        return r && { text: formatPercent(r.mCE, 1) };
      }),
    ],
  };
}

function comparisonChart(inputs: ReportInputs): Promise<Chart> {
  const robust = robustnessOf(inputs);
  const series = ["noisy test", "clean test", "MNIST-C mean"];
  const bars: AccuracyBar[] = allModels(inputs).flatMap((m) => {
    const r = robust?.get(m.name);
    return [
      {
        model: m.name,
        series: series[0],
        accuracy: m.metrics.test.noisy.accuracy,
      },
      {
        model: m.name,
        series: series[1],
        accuracy: m.metrics.test.clean.accuracy,
      },
      ...(r
        ? [{ model: m.name, series: series[2], accuracy: r.mnistCAccuracy }]
        : []),
    ];
  });
  return chart(
    "all-models",
    "Every trained model",
    robust
      ? "Test accuracy per trained model on the noisy and the clean test split, and its mean accuracy over MNIST-C's fifteen corruptions at their published severities."
      : "Test accuracy per trained model on the noisy and the clean test split (no fresh robustness results to add MNIST-C).",
    accuracySpec(bars, series),
  );
}

/**
 * The comparison of every trained model, or undefined when only the
 * study's models are trained (the report then has no such section).
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 * import { modelsSection } from "./content_models.ts";
 *
 * const section = await modelsSection(await loadReportInputs("data"));
 * console.log(section?.table.models); // e.g. ["dense", "cnn", "cnn-robust"]
 * ```
 */
export async function modelsSection(
  inputs: ReportInputs,
): Promise<ModelsSection | undefined> {
  if (inputs.extraModels.length === 0) return undefined;
  const robust = robustnessOf(inputs);
  return {
    text: `Besides the study's recipe, ${
      inputs.extraModels.map((m) => `\`models/${m.name}\``).join(", ")
    } ${
      inputs.extraModels.length === 1 ? "is" : "are"
    } trained. Every trained model on the noisy and the clean test split${
      robust
        ? ", and on the robustness benchmark (mCE relative to the dense net)"
        : `; the robustness benchmark's results ${
          inputs.robustness.status === "stale" ? "are stale" : "are absent"
        }, run \`deno task robustness\` to add them`
    }.`,
    table: comparisonTable(inputs),
    chart: await comparisonChart(inputs),
  };
}

/**
 * One headline sentence per extra model (inline markup): its noisy and
 * clean accuracy, and its MNIST-C mean beside the study's model of the same
 * architecture when the robustness results are fresh. Empty without extra
 * models.
 */
export function modelsFindings(inputs: ReportInputs): string[] {
  const robust = robustnessOf(inputs);
  return inputs.extraModels.map((m) => {
    const r = robust?.get(m.name);
    // Compared with the study's model of the same architecture.
    const architecture = m.metrics.recipe.model;
    const study = robust?.get(architecture);
    const label = architecture === "cnn" ? "CNN" : "dense net";
    const mnistC = r
      ? `; ${formatPercent(r.mnistCAccuracy)} on MNIST-C${
        study
          ? ` (the study's ${label}: ${formatPercent(study.mnistCAccuracy)})`
          : ""
      }`
      : "";
    return `Also trained, **${modelLabel(m.name)}** (\`models/${m.name}\`): ${
      formatPercent(m.metrics.test.noisy.accuracy)
    } on the noisy test digits, ${
      formatPercent(m.metrics.test.clean.accuracy)
    } on clean MNIST${mnistC}; see "All trained models".`;
  });
}

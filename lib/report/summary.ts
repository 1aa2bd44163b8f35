/**
 * The report's verdict in words and one table: the summary table (metrics
 * as rows, models as columns), the findings that answer the question, the
 * notes on how far the numbers can be trusted, and the notices about
 * missing models.
 *
 * Every sentence is worded from the measurements, never fixed, so a rerun
 * that changes the numbers cannot leave a stale claim behind.
 *
 * @module
 */

import {
  type ModelName,
  RECIPES,
  STUDY_EPOCHS,
  trainTask,
} from "../train/mod.ts";
import { formatDuration } from "../core/mod.ts";
import { correctCount, findModel } from "./artifacts.ts";
import { MODEL_LABELS } from "./charts.ts";
import {
  STUDY_ACCURACY,
  type SummaryCell,
  type SummaryRow,
  type SummaryTable,
} from "./content_types.ts";
import {
  formatInt,
  formatLoss,
  formatPercent,
  formatPoints,
  formatPValue,
} from "./format.ts";
import {
  type ModelArtifacts,
  REPORT_MODELS,
  type ReportInputs,
} from "./load.ts";
import { mcnemar } from "./stats.ts";
import { wilsonInterval } from "../evaluate/mod.ts";

/** A Wilson 95 % interval as the table prints it, in percent. */
function intervalText(correct: number, n: number): string {
  const { low, high } = wilsonInterval(correct, n);
  return `95 % CI ${(low * 100).toFixed(2)}–${(high * 100).toFixed(2)} %`;
}

/**
 * Section 1's table: one row per metric, one column per model of
 * {@link REPORT_MODELS}. An untrained model keeps its column (with the
 * command that trains it) so the table's shape never changes; the study's
 * figures fill a reference row for both models regardless.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const table = summaryTable(inputs);
 * console.log(table.rows.map((r) => r.label));
 * ```
 */
export function summaryTable(inputs: ReportInputs): SummaryTable {
  const rows: SummaryRow[] = [];
  const row = (
    key: string,
    label: string,
    cell: (m: ModelArtifacts) => SummaryCell,
    reference = false,
  ) => {
    const cells: Partial<Record<ModelName, SummaryCell>> = {};
    for (const model of inputs.models) cells[model.name] = cell(model);
    rows.push({ key, label, cells, reference });
  };
  row("noisy-accuracy", "Accuracy, noisy test", (m) => ({
    text: formatPercent(m.metrics.test.noisy.accuracy),
    detail: intervalText(correctCount(m), m.metrics.test.noisy.count),
  }));
  // The study's figures are known for both models, trained or not.
  rows.push({
    key: "study-accuracy",
    label: "Original study, noisy test",
    cells: Object.fromEntries(
      REPORT_MODELS.map((m) => [m, { text: formatPercent(STUDY_ACCURACY[m]) }]),
    ),
    reference: true,
  });
  row("vs-study", "Ours − study", (m) => ({
    text: formatPoints(m.metrics.test.noisy.accuracy - STUDY_ACCURACY[m.name]),
  }));
  row("noisy-loss", "Loss, noisy test", (m) => ({
    text: formatLoss(m.metrics.test.noisy.loss),
  }));
  row("clean-accuracy", "Accuracy, clean MNIST test", (m) => ({
    text: formatPercent(m.metrics.test.clean.accuracy),
  }));
  row("clean-loss", "Loss, clean MNIST test", (m) => ({
    text: formatLoss(m.metrics.test.clean.loss),
  }));
  row("macro-f1", "Macro F1, noisy test", (m) => ({
    text: m.metrics.test.noisy.macroF1.toFixed(4),
  }));
  row("params", "Parameters", (m) => ({ text: formatInt(m.metrics.params) }));
  row("epochs", "Epochs run / best", (m) => ({
    text: `${m.metrics.epochsRun} / ${m.metrics.bestEpoch}`,
    detail: m.metrics.stoppedEarly
      ? "stopped early"
      : `of ${m.metrics.recipe.epochs} planned`,
  }));
  row("train-time", "Training time", (m) => ({
    text: formatDuration(m.metrics.trainSeconds, "words"),
  }));
  row("train-rate", "Training images/s", (m) => ({
    text: formatInt(m.metrics.imagesPerSecond),
  }));
  row("infer-rate", "Inference images/s", (m) => ({
    text: formatInt(m.metrics.inferenceImagesPerSecond),
  }));
  row("train-images", "Training / validation images", (m) => ({
    text: `${formatInt(m.metrics.counts.train)} / ${
      formatInt(m.metrics.counts.validation)
    }`,
    detail: m.metrics.limit !== null ? `--limit ${m.metrics.limit}` : undefined,
  }));
  row("backend", "Backend", (m) => ({
    text: m.metrics.backend,
    // `gemm` is newer than some metrics files; show it when recorded.
    detail: [
      `tfjs ${m.metrics.tfjs}`,
      m.metrics.gemm ? `matmul ${m.metrics.gemm}` : "",
    ]
      .filter(Boolean).join(", "),
  }));
  return {
    models: [...REPORT_MODELS],
    missing: Object.fromEntries(inputs.missing.map((m) => [m, trainTask(m)])),
    rows,
  };
}

/**
 * The answer, a few sentences of inline markup: which model is ahead on
 * the noisy test digits and by how much, how both compare with the study,
 * and whether the clean-digit gap says the transformations are the cause.
 * With one model trained, a single sentence on that model.
 *
 * Expects at least one trained model; the report stage refuses earlier
 * when there is none.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * for (const line of findings(inputs)) console.log(line);
 * ```
 */
export function findings(inputs: ReportInputs): string[] {
  const dense = findModel(inputs, "dense");
  const cnn = findModel(inputs, "cnn");
  const n = inputs.noisy.test.count;
  if (dense && cnn) {
    const a = dense.metrics.test.noisy.accuracy;
    const b = cnn.metrics.test.noisy.accuracy;
    const errorsDense = n - correctCount(dense);
    const errorsCnn = n - correctCount(cnn);
    const fewer = errorsDense === 0 ? 0 : 1 - errorsCnn / errorsDense;
    const better = b >= a ? "CNN" : "dense net";
    const lines = [
      `On the ${
        formatInt(n)
      } noisy test digits the **${better}** is ahead: CNN **${
        formatPercent(b)
      }** vs dense **${formatPercent(a)}** (${
        formatPoints(b - a)
      } for the CNN; it makes ${formatInt(errorsCnn)} mistakes against ${
        formatInt(errorsDense)
      }, ${Math.abs(fewer * 100).toFixed(0)} % ${
        fewer >= 0 ? "fewer" : "more"
      }).`,
      `The study reported dense ${
        formatPercent(STUDY_ACCURACY.dense)
      } and CNN ${formatPercent(STUDY_ACCURACY.cnn)}; ours differ by ${
        formatPoints(a - STUDY_ACCURACY.dense)
      } and ${formatPoints(b - STUDY_ACCURACY.cnn)}.`,
    ];
    const cleanGap = cnn.metrics.test.clean.accuracy -
      dense.metrics.test.clean.accuracy;
    // Only claim the transformations make the difference when the data
    // say so: a clean gap much smaller than the noisy one.
    const because = Math.abs(cleanGap) < Math.abs(b - a) / 2
      ? ": most of the difference comes from the transformations."
      : ".";
    lines.push(
      `On clean MNIST digits the gap is ${formatPoints(cleanGap)} (CNN ${
        formatPercent(cnn.metrics.test.clean.accuracy)
      }, dense ${formatPercent(dense.metrics.test.clean.accuracy)})${because}`,
    );
    return lines;
  }
  const only = (dense ?? cnn)!;
  return [
    `Only the **${MODEL_LABELS[only.name]}** model is trained: ${
      formatPercent(only.metrics.test.noisy.accuracy)
    } on the noisy test digits (the study: ${
      formatPercent(STUDY_ACCURACY[only.name])
    }), ${
      formatPercent(only.metrics.test.clean.accuracy)
    } on clean MNIST. The comparison needs both models.`,
  ];
}

/**
 * Why, or how far, the numbers can be trusted (inline markup): the test
 * set's sampling error, a McNemar test when both models are trained, and
 * per model whether validation and test agree and whether it was trained
 * on less than the study's recipe or on an older noisy dataset.
 *
 * `noisyHash` is the SHA-256 of today's `noisy/manifest.json`; a model
 * whose manifest names another hash was trained on older images.
 *
 * @example
 * ```ts
 * import { findUpstream, loadReportInputs, upstreamHashes } from "./mod.ts";
 *
 * const upstream = await findUpstream("data");
 * const inputs = await loadReportInputs("data", upstream);
 * const hashes = await upstreamHashes(upstream);
 * const notes = trustNotes(inputs, hashes["noisy/manifest.json"]);
 * ```
 */
export function trustNotes(
  inputs: ReportInputs,
  noisyHash: string | undefined,
): string[] {
  const n = inputs.noisy.test.count;
  const notes: string[] = [];
  const half = (1.96 * Math.sqrt(0.9 * 0.1 / Math.max(n, 1))) * 100;
  notes.push(
    `Accuracies are measured on ${
      formatInt(n)
    } test images that no model saw in training; at 90 % accuracy that is good to about ±${
      half.toFixed(2)
    } points (95 % Wilson intervals are in the table).`,
  );
  const dense = findModel(inputs, "dense");
  const cnn = findModel(inputs, "cnn");
  if (dense && cnn) {
    const test = mcnemar(
      inputs.noisy.test.labels,
      dense.predictions.noisy.predicted,
      cnn.predictions.noisy.predicted,
    );
    const verdict = test.p < 0.05
      ? "the difference is not chance"
      : "the difference could be chance";
    notes.push(
      `Paired on the same images, the CNN alone is right on ${
        formatInt(test.onlyBRight)
      } digits and the dense net alone on ${
        formatInt(test.onlyARight)
      }; McNemar's χ² = ${test.chi2.toFixed(1)}, p ${
        test.p < 1e-12 ? "" : "= "
      }${formatPValue(test.p)}: ${verdict}.`,
    );
  }
  for (const model of inputs.models) {
    const m = model.metrics;
    const label = MODEL_LABELS[model.name];
    // The weights tested are the best epoch's when the recipe restores
    // them, else the last epoch's: compare with that epoch's validation.
    const restored = m.recipe.earlyStopping?.restoreBestWeights === true;
    const testedEpoch = restored ? m.bestEpoch : m.epochsRun;
    const tested = model.history.find((e) => e.epoch === testedEpoch);
    if (tested) {
      const gap = m.test.noisy.accuracy - tested.valAccuracy;
      notes.push(
        `${label}: validation accuracy of the tested weights (epoch ${testedEpoch}, ${
          restored ? "the best" : "the last"
        }: ${formatPercent(tested.valAccuracy)}) and noisy test accuracy (${
          formatPercent(m.test.noisy.accuracy)
        }) ${Math.abs(gap) < 0.02 ? "agree" : "differ"} (${
          formatPoints(gap)
        }).`,
      );
    }
    if (m.limit !== null) {
      notes.push(
        `**${label} was trained on the first ${
          formatInt(m.limit)
        } training images only** (\`--limit\`); its figures are not comparable with the study's.`,
      );
    }
    const planned = RECIPES[model.name].epochs;
    const study = STUDY_EPOCHS[model.name];
    if (m.recipe.epochs !== planned) {
      notes.push(
        `**${label} was trained for at most ${m.recipe.epochs} epochs** (the recipe: ${planned}; the study: ${study}).`,
      );
    } else if (planned !== study) {
      notes.push(
        `${label} was allowed up to ${planned} epochs (the study: ${study}) and ran ${m.epochsRun}.`,
      );
    }
    const trainedOn = model.manifest.inputs?.["noisy/manifest.json"];
    if (noisyHash && trainedOn !== undefined && trainedOn !== noisyHash) {
      notes.push(
        `**${label} was trained on an older noisy dataset** than the one in \`noisy/\`; its galleries show today's images. Run \`${
          trainTask(model.name)
        }\`.`,
      );
    }
  }
  return notes;
}

/**
 * One notice per untrained model, naming the command that trains it, so
 * a partial report says what is missing rather than silently omitting it.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * notices(inputs); // ["The **Dense** model is not trained yet, …"]
 * ```
 */
export function notices(inputs: ReportInputs): string[] {
  return inputs.missing.map((name) =>
    `The **${
      MODEL_LABELS[name]
    }** model is not trained yet, so it is missing from this report: run \`${
      trainTask(name)
    }\`, then \`deno task report\`.`
  );
}

/**
 * Section 6, robustness to corruptions, from `robustness/results.json`:
 * accuracy against severity per corruption (MNIST-C's fifteen, then the
 * extras apart), a table of MNIST-C accuracy, mCE and relative mCE per
 * model, and one clean test digit under every corruption at its default
 * severity, corrupted here with the benchmark's own code and seed.
 *
 * Without results the section says which task makes them; with stale
 * results (a model retrained since) it withholds their numbers and says
 * which task refreshes them.
 *
 * @module
 */

import { takeFirst } from "../data/mod.ts";
import {
  corruptionByName,
  corruptSplit,
  IDENTITY,
  MNIST_C_NAMES,
  type ModelRobustness,
  type RobustnessResults,
  type Severity,
} from "../robustness/mod.ts";
import { type Chart, robustnessSpec } from "./charts.ts";
import { chart } from "./content_charts.ts";
import type {
  CorruptionSample,
  RobustnessSection,
  SummaryTable,
} from "./content_types.ts";
import { digitPng } from "./digits.ts";
import { formatInt, formatPercent, formatPoints } from "./format.ts";
import { REPORT_MODELS, type ReportInputs } from "./load.ts";
import { modelLabel } from "./model_names.ts";
import { ROBUSTNESS_TASK } from "./robustness_load.ts";

/** Which clean test digit the samples corrupt (image 0 of the split). */
export const SAMPLE_INDEX = 0;

/** Where a corruption's sample is written, relative to the report folder. */
export function sampleFile(name: string): string {
  return `figures/robustness/${name}.png`;
}

/** The line shown, and noticed at the top, when results are stale. */
export function staleMessage(reasons: readonly string[]): string {
  return `The robustness results in \`robustness/results.json\` are stale (${
    reasons.join("; ")
  }), so their numbers are not shown: run \`${ROBUSTNESS_TASK} --force\`, then \`deno task report\`.`;
}

/**
 * The models of the results the report knows, in report order: the
 * study's, then every other trained model folder.
 */
function reportedModels(
  inputs: ReportInputs,
  results: RobustnessResults,
): ModelRobustness[] {
  const names = [...REPORT_MODELS, ...inputs.extraModels.map((m) => m.name)];
  return names.flatMap((name) =>
    results.models.filter((m) => m.model === name)
  );
}

function robustnessTable(models: ModelRobustness[]): SummaryTable {
  const names = models.map((m) => m.model);
  const row = (
    key: string,
    label: string,
    cell: (m: ModelRobustness) => { text: string; detail?: string },
    reference = false,
  ) => ({
    key,
    label,
    reference,
    cells: Object.fromEntries(models.map((m) => [m.model, cell(m)])),
  });
  return {
    models: names,
    missing: {},
    rows: [
      row(
        "mnist-c-accuracy",
        "MNIST-C accuracy (default severities)",
        (m) => ({
          text: formatPercent(m.mnistCAccuracy),
          detail: `${
            formatPoints(m.mnistCAccuracy - m.clean.accuracy)
          } vs clean`,
        }),
      ),
      row("mce", "mCE (lower is better)", (m) => ({
        text: formatPercent(m.mCE, 1),
      })),
      row("relative-mce", "Relative mCE (lower is better)", (m) => ({
        text: formatPercent(m.relativeMCE, 1),
      })),
      row("clean", "Accuracy, clean test", (m) => ({
        text: formatPercent(m.clean.accuracy),
      }), true),
      row("noisy", "Accuracy, noisy test", (m) => ({
        text: formatPercent(m.noisy.accuracy),
      }), true),
    ],
  };
}

/** The corruption a model does worst on at its default severity. */
function hardest(
  model: ModelRobustness,
  results: RobustnessResults,
): { name: string; accuracy: number } {
  let worst = { name: "", accuracy: Infinity };
  for (const c of results.corruptions) {
    if (c.group !== "mnist-c") continue;
    const accuracy = model.corruptions[c.name][c.defaultSeverity - 1].accuracy;
    if (accuracy < worst.accuracy) worst = { name: c.name, accuracy };
  }
  return worst;
}

async function robustnessCharts(
  results: RobustnessResults,
  models: ModelRobustness[],
): Promise<Chart[]> {
  const all = models.flatMap((m) =>
    results.corruptions.map((c) => ({
      model: m.model,
      corruption: c.name,
      accuracies: m.corruptions[c.name].map((cell) => cell.accuracy),
      clean: m.clean.accuracy,
    }))
  );
  const lowest = Math.min(...all.flatMap((s) => [...s.accuracies, s.clean]));
  const yDomain = [Math.max(0, Math.floor(lowest * 10) / 10), 1] as const;
  // MNIST-C's order, whatever order the results list them in.
  const mnistC = MNIST_C_NAMES.filter((name) =>
    results.corruptions.some((c) => c.name === name)
  );
  const extras = results.corruptions.filter((c) => c.group === "extra")
    .map((c) => c.name);
  const charts = [
    await chart(
      "robustness-mnist-c",
      "Accuracy against severity: MNIST-C's fifteen corruptions",
      "One panel per corruption, in MNIST-C's order: accuracy on the corrupted clean test digits at severities 1 (mildest) to 5, one line per model; the dashed rule is the model's accuracy on the uncorrupted clean test split. Every panel has the same scale.",
      robustnessSpec(
        all.filter((s) => mnistC.includes(s.corruption)),
        mnistC,
        5,
        yDomain,
      ),
    ),
  ];
  if (extras.length > 0) {
    charts.push(
      await chart(
        "robustness-extra",
        "Accuracy against severity: extra pixel noises (not in mCE)",
        "This project's extra corruptions, read as above, on the same scale. They are not part of MNIST-C, so they count in neither MNIST-C accuracy nor mCE.",
        robustnessSpec(
          all.filter((s) => extras.includes(s.corruption)),
          extras,
          extras.length,
          yDomain,
        ),
      ),
    );
  }
  return charts;
}

/**
 * A clean test digit, then that digit under every corruption of the
 * results at its default severity, made with the benchmark's own
 * `corruptSplit` and seed (so the pictures are the stage's image
 * {@link SAMPLE_INDEX}). Empty without the clean test split.
 */
function corruptionSamples(
  inputs: ReportInputs,
  results: RobustnessResults,
): CorruptionSample[] {
  const robustness = inputs.robustness;
  if (robustness.status !== "fresh" || !robustness.clean) return [];
  const digit = takeFirst(robustness.clean, SAMPLE_INDEX + 1);
  const catalogue = [
    { name: IDENTITY.name, group: "mnist-c" as const, defaultSeverity: 1 },
    ...results.corruptions,
  ];
  return catalogue.map((c) => {
    const corrupted = corruptSplit(
      digit,
      corruptionByName(c.name),
      c.defaultSeverity as Severity,
      results.seed,
    );
    return {
      name: c.name,
      group: c.group,
      severity: c.defaultSeverity,
      png: digitPng(corrupted, SAMPLE_INDEX),
      file: sampleFile(c.name),
    };
  });
}

/**
 * The robustness section of the report.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const section = await robustnessSection(await loadReportInputs("data"));
 * console.log(section.status, section.text[0]);
 * ```
 */
export async function robustnessSection(
  inputs: ReportInputs,
): Promise<RobustnessSection> {
  const robustness = inputs.robustness;
  if (robustness.status === "absent") {
    return {
      status: "absent",
      text: [
        `No robustness results yet. Run \`${ROBUSTNESS_TASK}\` to corrupt the clean test digits with MNIST-C's fifteen corruptions (and a few extra pixel noises) at severities 1–5 and evaluate every trained model on them, then \`deno task report\`.`,
      ],
      charts: [],
      samples: [],
    };
  }
  if (robustness.status === "stale") {
    return {
      status: "stale",
      text: [staleMessage(robustness.reasons)],
      charts: [],
      samples: [],
    };
  }
  const results = robustness.results;
  const models = reportedModels(inputs, results);
  const reference = modelLabel(results.reference);
  const extras = results.corruptions.filter((c) => c.group === "extra");
  const text = [
    `Every model on the clean test digits passed through MNIST-C's fifteen corruptions (Mu & Gilmer 2019)${
      extras.length > 0
        ? ` and ${extras.length} extra pixel noises, kept apart,`
        : ""
    } at severities 1–5: ${
      formatInt(results.images)
    } images per corruption and severity, seed ${results.seed}.`,
    ...models.map((m) => {
      const worst = hardest(m, results);
      return `**${modelLabel(m.model)}**: ${
        formatPercent(m.mnistCAccuracy)
      } on MNIST-C at the published severities (clean: ${
        formatPercent(m.clean.accuracy)
      }); hardest is \`${worst.name}\` at ${formatPercent(worst.accuracy)}.`;
    }),
  ];
  const samples = corruptionSamples(inputs, results);
  return {
    status: "fresh",
    text,
    table: robustnessTable(models),
    tableNote:
      `MNIST-C accuracy is the mean over the fifteen corruptions at the severity MNIST-C published each at. A corruption error (CE) is a model's error on a corruption summed over the five severities, divided by the ${reference} net's; mCE is its mean over the fifteen, so the ${reference} net scores 100 % by definition (as ImageNet-C normalises by AlexNet). Relative mCE does the same with each error's rise above the model's own clean error: how fast it degrades, whatever its clean accuracy. For both, lower is better.`,
    charts: await robustnessCharts(results, models),
    samples,
    samplesCaption: samples.length > 0
      ? `Clean test digit #${SAMPLE_INDEX} and the same digit under each corruption at the severity MNIST-C published it at, made here with the benchmark's own code and seed.`
      : "No clean test digits in `mnist/` to show the corruptions on; run `deno task fetch`, then `deno task report --force`.",
  };
}

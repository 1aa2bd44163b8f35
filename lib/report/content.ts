/**
 * What the report says, decided once: the summary table, the findings,
 * the charts, the galleries, the data and provenance tables. The HTML
 * page and the Markdown file are two renderings of this one value, so
 * they cannot disagree.
 *
 * Text fields use a tiny inline markup both renderers understand:
 * `` `code` `` and `**bold**`.
 *
 * @module
 */

import type { Json, StageManifest } from "../manifest.ts";
import type { ModelName } from "../models.ts";
import { RECIPES } from "../recipes.ts";
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
import type { TopLevelSpec } from "vega-lite";
import { digitPng } from "./digits.ts";
import {
  confidentMistakes,
  type Mistake,
  type MistakeSelection,
  wrongButRight,
} from "./failures.ts";
import {
  formatElapsed,
  formatInt,
  formatJsonValue,
  formatLoss,
  formatPercent,
  formatPoints,
  formatPValue,
} from "./format.ts";
import {
  type ModelArtifacts,
  REPORT_MODELS,
  type ReportInputs,
  trainTask,
} from "./load.ts";
import {
  type Confusion,
  mcnemar,
  topConfusions,
  wilsonInterval,
} from "./stats.ts";

/** The original study's published noisy-test accuracies. */
export const STUDY_ACCURACY: Readonly<Record<ModelName, number>> = {
  dense: 0.8209,
  cnn: 0.9673,
};

/** How many digits each gallery shows. */
export const GALLERY_SIZE = 24;

/** One cell of the summary table. */
export interface SummaryCell {
  /** The value as printed. */
  text: string;
  /** A smaller second line (interval, note), if any. */
  detail?: string;
}

/** One row of the summary table: a metric across the models. */
export interface SummaryRow {
  /** Stable key (`noisy-accuracy`…), a `data-metric` attribute in HTML. */
  key: string;
  /** Row heading. */
  label: string;
  /** One cell per model of {@link SummaryTable.models}; none if untrained. */
  cells: Partial<Record<ModelName, SummaryCell>>;
  /** A row of the study's figures rather than our measurements. */
  reference?: boolean;
}

/** Dense vs CNN, metrics as rows. */
export interface SummaryTable {
  /** Columns, in order (trained or not). */
  models: ModelName[];
  /** Models not trained, with the command that trains each. */
  missing: Partial<Record<ModelName, string>>;
  /** The rows. */
  rows: SummaryRow[];
}

/** A key/value pair of a plain table. */
export interface KeyValue {
  /** The name. */
  key: string;
  /** The value, formatted. */
  value: string;
}

/** One digit of a gallery. */
export interface DigitTile {
  /** Index in the noisy test split. */
  index: number;
  /** True digit. */
  label: number;
  /** Predicted digit (the failing model's). */
  predicted: number;
  /** Its confidence. */
  confidence: number;
  /** A second line, e.g. the other model's verdict. */
  note?: string;
  /** The enlarged PNG. */
  png: Uint8Array;
  /** Its path relative to the report folder. */
  file: string;
}

/** A gallery of digits. */
export interface Gallery {
  /** Stable id (anchors, file names). */
  id: string;
  /** Heading. */
  title: string;
  /** What it shows and in which order (inline markup). */
  description: string;
  /** The digits. */
  tiles: DigitTile[];
  /** How many digits met the condition (the gallery shows the first). */
  total: number;
}

/** A stage's provenance, from its manifest. */
export interface ProvenanceRow {
  /** Stage name, e.g. `train:cnn`. */
  stage: string;
  /** Manifest path relative to the data folder. */
  manifest: string;
  /** SHA-256 of the manifest file. */
  hash: string;
  /** The seed, if the stage records one. */
  seed: string;
  /** When it ran. */
  startedAt: string;
  /** How long it ran. */
  duration: string;
  /** Tool versions. */
  versions: string;
  /** Input and output hashes, for the curious. */
  files: KeyValue[];
}

/** The noisy dataset, described. */
export interface DataSection {
  /** The transform's parameters (augment manifest `params`). */
  params: KeyValue[];
  /** Statistics the augment stage recorded (`results`). */
  results: KeyValue[];
  /** Counts measured here on the noisy test split. */
  counts: KeyValue[];
  /** `noisy/samples.png`, if present. */
  samplesPng?: Uint8Array;
}

/** The most frequent confusions of one model. */
export interface ModelConfusions {
  /** Which model. */
  model: ModelName;
  /** Largest off-diagonal cells on the noisy test split. */
  top: Confusion[];
  /** Test images it misclassified. */
  errors: number;
}

/** Everything the report shows. */
export interface ReportContent {
  /** Page title. */
  title: string;
  /** When the report was built, `2025-01-01 12:00 UTC`. */
  generatedAt: string;
  /** Missing inputs and warnings (inline markup). */
  notices: string[];
  /** The answer, a few sentences (inline markup). */
  findings: string[];
  /** Why (or how far) the numbers can be trusted (inline markup). */
  trust: string[];
  /** Section 1. */
  summary: SummaryTable;
  /** Accuracy overview chart. */
  accuracyChart: Chart;
  /** Section 2: learning curves and learning rate. */
  learningCharts: Chart[];
  /** Section 3: confusion matrices, one per model. */
  confusionCharts: Chart[];
  /** Section 3: per-class precision/recall/F1. */
  perClassChart: Chart;
  /** Section 3/5: most frequent confusions. */
  confusions: ModelConfusions[];
  /** Section 4. */
  data: DataSection;
  /** Section 5. */
  galleries: Gallery[];
  /** Section 6. */
  provenance: ProvenanceRow[];
  /** Section 6: commands that reproduce the run. */
  commands: string[];
}

async function chart(
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

function correctCount(model: ModelArtifacts): number {
  return model.metrics.test.noisy.confusion.reduce(
    (sum, row, t) => sum + row[t],
    0,
  );
}

function intervalText(correct: number, n: number): string {
  const { low, high } = wilsonInterval(correct, n);
  return `95 % CI ${(low * 100).toFixed(2)}–${(high * 100).toFixed(2)} %`;
}

function summaryTable(inputs: ReportInputs): SummaryTable {
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
    text: formatElapsed(m.metrics.trainSeconds),
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

function findModel(
  inputs: ReportInputs,
  name: ModelName,
): ModelArtifacts | undefined {
  return inputs.models.find((m) => m.name === name);
}

function findings(inputs: ReportInputs): string[] {
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

function trustNotes(
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
    const best = model.history.find((e) => e.epoch === m.bestEpoch);
    if (best) {
      const gap = m.test.noisy.accuracy - best.valAccuracy;
      notes.push(
        `${label}: validation accuracy at the best epoch (${
          formatPercent(best.valAccuracy)
        }) and noisy test accuracy (${formatPercent(m.test.noisy.accuracy)}) ${
          Math.abs(gap) < 0.02 ? "agree" : "differ"
        } (${formatPoints(gap)}).`,
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
    if (m.recipe.epochs !== planned) {
      notes.push(
        `**${label} was trained for at most ${m.recipe.epochs} epochs** (the study: ${planned}).`,
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

function notices(inputs: ReportInputs): string[] {
  return inputs.missing.map((name) =>
    `The **${
      MODEL_LABELS[name]
    }** model is not trained yet, so it is missing from this report: run \`${
      trainTask(name)
    }\`, then \`deno task report\`.`
  );
}

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

function galleries(inputs: ReportInputs): Gallery[] {
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

/**
 * Key/value rows of a manifest's `params` or `results`, nested objects
 * flattened to dotted keys (`pixels.noisy.test.mean`), so any stage's
 * record reads as a flat table whatever its shape.
 */
export function keyValues(
  record: { [key: string]: Json } | undefined,
  prefix = "",
): KeyValue[] {
  return Object.entries(record ?? {}).flatMap(([key, value]) => {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return keyValues(value, name);
    }
    return [{ key: name, value: formatJsonValue(value) }];
  });
}

function dataSection(inputs: ReportInputs): DataSection {
  const test = inputs.noisy.test;
  const perDigit = new Array<number>(10).fill(0);
  for (const label of test.labels) perDigit[label]++;
  return {
    params: keyValues(inputs.noisy.manifest.params),
    results: keyValues(inputs.noisy.manifest.results),
    counts: [
      { key: "noisy test images", value: formatInt(test.count) },
      { key: "image size", value: `${test.rows} × ${test.cols}` },
      {
        key: "test images per digit (0–9)",
        value: perDigit.map(formatInt).join(", "),
      },
    ],
    samplesPng: inputs.noisy.samplesPng,
  };
}

function seedOf(manifest: StageManifest): string {
  const params = manifest.params ?? {};
  const recipe = params.recipe;
  const candidates: (Json | undefined)[] = [
    params.seed,
    manifest.results?.seed,
    recipe && typeof recipe === "object" && !Array.isArray(recipe)
      ? recipe.seed
      : undefined,
  ];
  const seed = candidates.find((c) => c !== undefined && c !== null);
  return seed === undefined ? "–" : formatJsonValue(seed);
}

/** `2025-01-01T01:02:03.456Z` → `2025-01-01 01:02 UTC`. */
function formatTimestamp(iso: string | undefined): string {
  const match = iso?.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/);
  return match ? `${match[1]} ${match[2]} UTC` : (iso ?? "–");
}

function versionsOf(manifest: StageManifest): string {
  const v = manifest.versions;
  if (!v) return "–";
  return [
    `Deno ${v.deno}`,
    v.tfjs ? `tfjs ${v.tfjs}` : "",
    v.backend ? `backend ${v.backend}` : "",
  ].filter(Boolean).join(", ");
}

function provenanceRow(
  path: string,
  manifest: StageManifest,
  hash: string | undefined,
): ProvenanceRow {
  const files: KeyValue[] = [
    ...Object.entries(manifest.inputs ?? {}).map(([k, v]) => ({
      key: `in: ${k}`,
      value: v,
    })),
    ...Object.entries(manifest.outputs ?? {}).map(([k, v]) => ({
      key: `out: ${k}`,
      value: v,
    })),
  ];
  return {
    stage: manifest.stage,
    manifest: path,
    hash: hash ?? "–",
    seed: seedOf(manifest),
    startedAt: formatTimestamp(manifest.startedAt),
    duration: formatElapsed(manifest.seconds),
    versions: versionsOf(manifest),
    files,
  };
}

function trainCommand(model: ModelArtifacts, dataFlag: string): string {
  const recipe = model.metrics.recipe;
  const base = RECIPES[model.name];
  const flags: string[] = [];
  if (recipe.epochs !== base.epochs) flags.push(`--epochs ${recipe.epochs}`);
  if (recipe.batchSize !== base.batchSize) {
    flags.push(`--batch-size ${recipe.batchSize}`);
  }
  if (recipe.learningRate !== base.learningRate) {
    flags.push(`--lr ${recipe.learningRate}`);
  }
  if (recipe.seed !== base.seed) flags.push(`--seed ${recipe.seed}`);
  if (model.metrics.limit !== null) {
    flags.push(`--limit ${model.metrics.limit}`);
  }
  return [trainTask(model.name), ...flags, dataFlag].filter(Boolean).join(" ");
}

/**
 * The augment command from its manifest's preset, seed and limit (the
 * flags scripts/augment.ts takes). Overrides of single parameters are not
 * spelled out; section 4 lists every value.
 */
function augmentCommand(manifest: StageManifest, dataFlag: string): string {
  const params = manifest.params ?? {};
  const flags: string[] = [];
  for (const name of ["preset", "seed", "limit"]) {
    const value = params[name];
    if (typeof value === "string" || typeof value === "number") {
      flags.push(`--${name} ${value}`);
    }
  }
  return ["deno task augment", ...flags, dataFlag].filter(Boolean).join(" ");
}

function commands(inputs: ReportInputs): string[] {
  // The default data folder needs no flag; any other is spelled out.
  const dataFlag = inputs.dataDir === "data" || inputs.dataDir === "data/"
    ? ""
    : `--data-dir ${inputs.dataDir}`;
  const withData = (cmd: string) => [cmd, dataFlag].filter(Boolean).join(" ");
  return [
    withData("deno task fetch"),
    augmentCommand(inputs.noisy.manifest, dataFlag),
    ...inputs.models.map((m) => trainCommand(m, dataFlag)),
    withData("deno task report"),
  ];
}

/** Options of {@link buildContent}. */
export interface ContentOptions {
  /** SHA-256 of each upstream manifest by path relative to the data dir. */
  upstreamHashes: Record<string, string>;
  /** When the report is built (default: now). */
  now?: Date;
}

/**
 * Decide everything the report shows from its inputs: tables, findings,
 * rendered charts and digit PNGs.
 *
 * @example
 * ```ts
 * const inputs = await loadReportInputs("data");
 * const content = await buildContent(inputs, {
 *   upstreamHashes: await upstreamHashes(await findUpstream("data")),
 * });
 * console.log(content.findings.join("\n"));
 * ```
 */
export async function buildContent(
  inputs: ReportInputs,
  options: ContentOptions,
): Promise<ReportContent> {
  const hashes = options.upstreamHashes;
  const noisyHash = hashes["noisy/manifest.json"];
  const histories = inputs.models.map((m) => ({
    model: m.name,
    epochs: m.history,
  }));
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
  const provenance = [
    provenanceRow(
      "noisy/manifest.json",
      inputs.noisy.manifest,
      noisyHash,
    ),
    ...inputs.models.map((m) => {
      const path = `models/${m.name}/manifest.json`;
      return provenanceRow(path, m.manifest, hashes[path]);
    }),
  ];
  return {
    title: "Noisy MNIST: dense network vs CNN",
    generatedAt: formatTimestamp((options.now ?? new Date()).toISOString()),
    notices: notices(inputs),
    findings: findings(inputs),
    trust: trustNotes(inputs, noisyHash),
    summary: summaryTable(inputs),
    accuracyChart: await chart(
      "accuracy",
      "Accuracy at a glance",
      "Test accuracy per model: ours on the noisy and on the clean test split (black bars: 95 % intervals), and the study's published noisy-test figure.",
      accuracySpec(bars, series),
    ),
    learningCharts: [
      await chart(
        "learning-curves",
        "Loss and accuracy per epoch",
        "Solid: training split; dashed: the 20 % held out for validation. A widening gap between them is overfitting.",
        learningCurvesSpec(histories),
      ),
      await chart(
        "learning-rate",
        "Learning rate",
        "The rate each epoch ran with (log scale); the CNN halves it when validation loss stalls.",
        learningRateSpec(histories),
      ),
    ],
    confusionCharts: await Promise.all(
      inputs.models.map((m) =>
        chart(
          `confusion-${m.name}`,
          `Confusion matrix: ${MODEL_LABELS[m.name]}`,
          "Rows are the true digit, columns the prediction, on the noisy test split. Colour: share of the row; number: images.",
          confusionSpec(m.name, m.metrics.test.noisy.confusion),
        )
      ),
    ),
    perClassChart: await chart(
      "per-class",
      "Precision, recall and F1 per digit",
      "On the noisy test split. Precision: of the images predicted as a digit, the share that are it; recall: of the images of a digit, the share found.",
      perClassSpec(
        inputs.models.map((m) => ({
          model: m.name,
          perClass: m.metrics.test.noisy.perClass,
        })),
      ),
    ),
    confusions: inputs.models.map((m) => ({
      model: m.name,
      top: topConfusions(m.metrics.test.noisy.confusion, 5),
      errors: m.metrics.test.noisy.count - correctCount(m),
    })),
    data: dataSection(inputs),
    galleries: galleries(inputs),
    provenance,
    commands: commands(inputs),
  };
}

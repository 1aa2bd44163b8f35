/**
 * The report's charts: Vega-Lite specifications built from typed data,
 * rendered to SVG headlessly (Vega's `renderer: "none"` plus
 * `view.toSVG()`), with every value inline and a loader that refuses to
 * fetch, so rendering never touches the network.
 *
 * @module
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { EpochRecord, ModelName } from "../train/mod.ts";
import type { ClassMetrics, ConfusionMatrix } from "../evaluate/mod.ts";
import { modelColor, modelLabel } from "./model_names.ts";

/** One chart, rendered. */
export interface Chart {
  /** Stable id, also the figure's file name without `.svg`. */
  id: string;
  /** Heading shown above it. */
  title: string;
  /** One or two sentences on how to read it. */
  caption: string;
  /** The rendered SVG (ids namespaced by `id`, safe to inline). */
  svg: string;
}

/** The models' colours, fixed so every chart agrees. */
export const MODEL_COLORS: Readonly<Record<ModelName, string>> = {
  dense: "#d95f02",
  cnn: "#1b6ca8",
};

/** The models' names as the report prints them. */
export const MODEL_LABELS: Readonly<Record<ModelName, string>> = {
  dense: "Dense",
  cnn: "CNN",
};

/** The font the charts ask for; the page uses the same stack. */
export const FONT =
  "Inter, 'Segoe UI', system-ui, -apple-system, Roboto, 'Helvetica Neue', Arial, sans-serif";

/** Shared Vega-Lite config: fonts, sizes and a quiet frame. */
const THEME = {
  font: FONT,
  background: "#ffffff",
  padding: 8,
  view: { stroke: "#d0d7de" },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    labelColor: "#333",
    titleColor: "#222",
    gridColor: "#eceff1",
  },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 600 },
  header: { labelFontSize: 13, labelFontWeight: 600, titleFontSize: 13 },
  title: { fontSize: 14, fontWeight: 600 },
} as const;

/** Refuses every load: all chart data is inline, nothing may fetch. */
const OFFLINE_LOADER: vega.Loader = {
  load: (uri) => Promise.reject(new Error(`report charts are offline: ${uri}`)),
  sanitize: (uri) =>
    Promise.reject(new Error(`report charts are offline: ${uri}`)),
  http: (uri) => Promise.reject(new Error(`report charts are offline: ${uri}`)),
  file: (name) =>
    Promise.reject(new Error(`report charts are offline: ${name}`)),
};

/**
 * Prefix every `id` in an SVG (and the `url(#…)`/`href="#…"` references
 * to them), so several charts inlined in one page cannot collide.
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/**
 * Compile a Vega-Lite spec and render it to an SVG string, headlessly and
 * offline.
 *
 * @example
 * ```ts
 * const svg = await renderSvg({
 *   data: { values: [{ x: "a", y: 1 }] },
 *   mark: "bar",
 *   encoding: { x: { field: "x" }, y: { field: "y", type: "quantitative" } },
 * });
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vegaSpec } = compile(spec, { config: THEME });
  const view = new vega.View(vega.parse(vegaSpec), {
    renderer: "none",
    loader: OFFLINE_LOADER,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A model's training history, for {@link learningCurvesSpec}. */
export interface ModelHistory {
  /** Which model. */
  model: ModelName;
  /** Its epochs. */
  epochs: readonly EpochRecord[];
}

function modelScale(models: readonly string[]) {
  return {
    domain: models.map((m) => modelLabel(m)),
    range: models.map((m) => modelColor(m)),
  };
}

/** Loss and accuracy per epoch, train vs validation, one panel each. */
export function learningCurvesSpec(
  histories: readonly ModelHistory[],
): TopLevelSpec {
  const values = histories.flatMap(({ model, epochs }) =>
    epochs.flatMap((e) => [
      {
        model: MODEL_LABELS[model],
        epoch: e.epoch,
        metric: "Loss",
        split: "train",
        value: e.loss,
      },
      {
        model: MODEL_LABELS[model],
        epoch: e.epoch,
        metric: "Loss",
        split: "validation",
        value: e.valLoss,
      },
      {
        model: MODEL_LABELS[model],
        epoch: e.epoch,
        metric: "Accuracy",
        split: "train",
        value: e.accuracy,
      },
      {
        model: MODEL_LABELS[model],
        epoch: e.epoch,
        metric: "Accuracy",
        split: "validation",
        value: e.valAccuracy,
      },
    ])
  );
  return {
    data: { values },
    facet: {
      column: {
        field: "metric",
        type: "nominal",
        sort: ["Loss", "Accuracy"],
        title: null,
      },
    },
    spec: {
      width: 360,
      height: 230,
      // No point markers: they would turn the dash legend into dots.
      mark: { type: "line", strokeWidth: 2 },
      encoding: {
        x: {
          field: "epoch",
          type: "quantitative",
          title: "Epoch",
          axis: { tickMinStep: 1, format: "d" },
          scale: { nice: false },
        },
        y: {
          field: "value",
          type: "quantitative",
          title: null,
          scale: { zero: false },
        },
        color: {
          field: "model",
          type: "nominal",
          title: "Model",
          scale: modelScale(histories.map((h) => h.model)),
        },
        strokeDash: {
          field: "split",
          type: "nominal",
          title: "Split",
          scale: { domain: ["train", "validation"], range: [[1, 0], [6, 4]] },
          // Draw the legend as line samples, so the dash is visible.
          legend: {
            symbolType: "stroke",
            symbolStrokeColor: "#444444",
            symbolStrokeWidth: 2,
            symbolSize: 400,
          },
        },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}

/** The learning rate per epoch (log scale), one line per model. */
export function learningRateSpec(
  histories: readonly ModelHistory[],
): TopLevelSpec {
  const values = histories.flatMap(({ model, epochs }) =>
    epochs.map((e) => ({
      model: MODEL_LABELS[model],
      epoch: e.epoch,
      lr: e.lr,
    }))
  );
  // Label only the rates actually used: a log axis's default ticks crowd.
  const rates = [...new Set(values.map((v) => v.lr))].sort((a, b) => a - b);
  const low = (rates[0] ?? 1e-3) / 1.6;
  const high = (rates.at(-1) ?? 1e-3) * 1.6;
  return {
    data: { values },
    width: 360,
    height: 150,
    mark: { type: "line", point: { size: 36 }, interpolate: "step-after" },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative",
        title: "Epoch",
        axis: { tickMinStep: 1, format: "d" },
        scale: { nice: false },
      },
      y: {
        field: "lr",
        type: "quantitative",
        title: "Learning rate",
        scale: { type: "log", domain: [low, high] },
        axis: { format: "~e", values: rates.slice(0, 8), grid: true },
      },
      color: {
        field: "model",
        type: "nominal",
        title: "Model",
        scale: modelScale(histories.map((h) => h.model)),
      },
    },
  };
}

/**
 * A confusion matrix as an annotated heatmap: colour is the share of the
 * true digit's images (so rare and common digits compare), the number is
 * the count.
 */
export function confusionSpec(
  model: ModelName,
  matrix: ConfusionMatrix,
): TopLevelSpec {
  const values = matrix.flatMap((row, actual) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, predicted) => ({
      actual,
      predicted,
      count,
      share: total === 0 ? 0 : count / total,
    }));
  });
  const digits = matrix.map((_, d) => d);
  return {
    // Becomes the SVG's aria-label.
    description: `Confusion matrix of the ${MODEL_LABELS[model]} model`,
    data: { values },
    width: 320,
    height: 320,
    encoding: {
      x: {
        field: "predicted",
        type: "ordinal",
        title: "Predicted digit",
        sort: digits,
        axis: { labelAngle: 0, orient: "top" },
      },
      y: {
        field: "actual",
        type: "ordinal",
        title: "True digit",
        sort: digits,
      },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "#ffffff", strokeWidth: 1 },
        encoding: {
          color: {
            field: "share",
            type: "quantitative",
            title: "Share of row",
            // sqrt: the few-percent confusions are what is worth seeing.
            scale: {
              domain: [0, 1],
              type: "sqrt",
              range: ["#f4f8fc", "#08427a"],
            },
            legend: { format: ".0%", gradientLength: 200 },
          },
        },
      },
      {
        transform: [{ filter: "datum.count > 0" }],
        mark: { type: "text", fontSize: 10 },
        encoding: {
          text: { field: "count", type: "quantitative", format: "d" },
          color: {
            condition: { test: "datum.share > 0.4", value: "#ffffff" },
            value: "#1f2328",
          },
        },
      },
    ],
  };
}

/** Per-class metrics of one model, for {@link perClassSpec}. */
export interface ModelClassMetrics {
  /** Which model. */
  model: ModelName;
  /** Its per-digit metrics. */
  perClass: readonly ClassMetrics[];
}

/** Precision, recall and F1 per digit, bars grouped by model. */
export function perClassSpec(
  models: readonly ModelClassMetrics[],
): TopLevelSpec {
  const values = models.flatMap(({ model, perClass }) =>
    perClass.flatMap((c) => [
      {
        model: MODEL_LABELS[model],
        digit: c.label,
        metric: "Precision",
        value: c.precision,
      },
      {
        model: MODEL_LABELS[model],
        digit: c.label,
        metric: "Recall",
        value: c.recall,
      },
      { model: MODEL_LABELS[model], digit: c.label, metric: "F1", value: c.f1 },
    ])
  );
  return {
    data: { values },
    facet: {
      row: {
        field: "metric",
        type: "nominal",
        sort: ["Precision", "Recall", "F1"],
        title: null,
        header: { labelAngle: 0, labelAlign: "left" },
      },
    },
    spec: {
      width: 640,
      height: 120,
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "digit",
          type: "ordinal",
          title: "Digit",
          axis: { labelAngle: 0 },
        },
        xOffset: { field: "model", type: "nominal" },
        y: {
          field: "value",
          type: "quantitative",
          title: null,
          scale: { domain: [0, 1] },
          axis: { format: ".0%", tickCount: 3 },
        },
        color: {
          field: "model",
          type: "nominal",
          title: "Model",
          scale: modelScale(models.map((m) => m.model)),
        },
        tooltip: [
          { field: "model" },
          { field: "digit" },
          { field: "value", format: ".2%" },
        ],
      },
    },
  };
}

/** One bar of {@link accuracySpec}. */
export interface AccuracyBar {
  /** Which model folder (`dense`, `cnn`, `cnn-robust`…). */
  model: string;
  /** What was measured, e.g. `noisy test (ours)`. */
  series: string;
  /** The accuracy, a fraction. */
  accuracy: number;
  /** 95 % interval, when it is a measurement on a finite test set. */
  low?: number;
  /** 95 % interval upper bound. */
  high?: number;
}

/** Accuracies side by side (ours on noisy and clean, the study's). */
export function accuracySpec(
  bars: readonly AccuracyBar[],
  series: readonly string[],
): TopLevelSpec {
  const values = bars.map((b) => ({
    model: modelLabel(b.model),
    series: b.series,
    accuracy: b.accuracy,
    low: b.low ?? b.accuracy,
    high: b.high ?? b.accuracy,
  }));
  const models = [...new Set(bars.map((b) => modelLabel(b.model)))];
  const x = {
    field: "model",
    type: "nominal",
    title: null,
    sort: models,
    axis: { labelAngle: 0, labelFontSize: 13 },
  } as const;
  const xOffset = {
    field: "series",
    type: "nominal",
    sort: [...series],
  } as const;
  return {
    data: { values },
    width: 330,
    height: 240,
    encoding: { x, xOffset },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          y: {
            field: "accuracy",
            type: "quantitative",
            title: "Accuracy",
            scale: { domain: [0, 1] },
            axis: { format: ".0%" },
          },
          color: {
            field: "series",
            type: "nominal",
            title: null,
            sort: [...series],
            scale: { range: ["#1b6ca8", "#8fb9d9", "#b0b0b0"] },
            legend: {
              orient: "bottom",
              direction: "horizontal",
              labelLimit: 0,
            },
          },
        },
      },
      {
        mark: { type: "rule", color: "#222", strokeWidth: 1.5 },
        encoding: {
          y: { field: "low", type: "quantitative" },
          y2: { field: "high" },
        },
      },
      {
        mark: { type: "text", dy: -10, fontSize: 11, color: "#222" },
        encoding: {
          y: { field: "high", type: "quantitative" },
          text: { field: "accuracy", type: "quantitative", format: ".1%" },
        },
      },
    ],
  };
}

/** One model's accuracy on one corruption, for {@link robustnessSpec}. */
export interface RobustnessSeries {
  /** Which model folder (`dense`, `cnn`, `cnn-robust`…). */
  model: string;
  /** The corruption's name (a panel). */
  corruption: string;
  /** Accuracy at severities 1–5, in order. */
  accuracies: readonly number[];
  /** The model's accuracy on the clean test split (the panel's rule). */
  clean: number;
}

/**
 * Small multiples of accuracy against severity: one panel per corruption
 * (in `corruptions` order, `columns` to a row), one line per model, and
 * each model's clean accuracy as a dashed horizontal rule. All panels
 * share the y scale, so their drops compare.
 */
export function robustnessSpec(
  series: readonly RobustnessSeries[],
  corruptions: readonly string[],
  columns: number,
  yDomain: readonly [number, number],
): TopLevelSpec {
  const curve = "corrupted";
  const clean = "clean test";
  const values = series.flatMap((s) => [
    ...s.accuracies.map((accuracy, i) => ({
      corruption: s.corruption,
      model: modelLabel(s.model),
      kind: curve,
      severity: i + 1,
      accuracy,
    })),
    {
      corruption: s.corruption,
      model: modelLabel(s.model),
      kind: clean,
      severity: null,
      accuracy: s.clean,
    },
  ]);
  const models = [...new Set(series.map((s) => s.model))];
  const color = {
    field: "model",
    type: "nominal",
    title: "Model",
    scale: modelScale(models),
  } as const;
  const strokeDash = {
    field: "kind",
    type: "nominal",
    title: null,
    scale: { domain: [curve, clean], range: [[1, 0], [4, 3]] },
    legend: {
      symbolType: "stroke",
      symbolStrokeColor: "#444444",
      symbolStrokeWidth: 2,
      symbolSize: 300,
    },
  } as const;
  const y = {
    field: "accuracy",
    type: "quantitative" as const,
    title: "Accuracy",
    scale: { domain: [yDomain[0], yDomain[1]], nice: false },
    axis: { format: ".0%", tickCount: 4 },
  };
  return {
    data: { values },
    facet: {
      field: "corruption",
      type: "nominal",
      sort: [...corruptions],
      title: null,
      header: { labelFontSize: 12, labelPadding: 4 },
    },
    columns,
    spacing: { row: 14, column: 10 },
    spec: {
      width: 150,
      height: 100,
      layer: [
        {
          transform: [{ filter: `datum.kind === '${clean}'` }],
          mark: { type: "rule", strokeWidth: 1.2, opacity: 0.8 },
          encoding: { y, color, strokeDash },
        },
        {
          transform: [{ filter: `datum.kind === '${curve}'` }],
          mark: { type: "line", strokeWidth: 2, point: { size: 22 } },
          encoding: {
            x: {
              field: "severity",
              type: "quantitative",
              title: "Severity",
              scale: { domain: [1, 5], nice: false },
              axis: { values: [1, 2, 3, 4, 5], format: "d" },
            },
            y,
            color,
            strokeDash,
          },
        },
      ],
    },
  };
}

/**
 * The report's "Across seeds" section, present when `study/summary.json`
 * exists: per metric a dot-and-interval chart (each recipe's mean with its
 * 95 % t-interval, every seed's value as a small dot, the study's
 * published figure as a reference mark on noisy accuracy), a table, and
 * the headline sentences that quote mean ± interval instead of one run.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { StudyMetric, StudySummary } from "../study/mod.ts";
import { formatMeanInterval, STUDY_METRICS } from "../study/mod.ts";
import type { Chart } from "./charts.ts";
import { chart } from "./content_charts.ts";
import { formatPercent, formatPoints } from "./format.ts";
import { escapeHtml as esc, inlineHtml } from "./markup.ts";

/** The section: absent without a study. */
export interface StudySection {
  /** `present` when the data folder has a study summary. */
  status: "absent" | "present";
  /** Paragraphs (inline markup). */
  text: string[];
  /** One dot-and-interval chart per metric. */
  charts: Chart[];
  /** Column headings of the table. */
  headers: string[];
  /** Table rows (plain text). */
  rows: string[][];
}

/** What each metric is called in the section. */
const METRIC_TITLES: Record<StudyMetric, string> = {
  noisy: "Noisy test accuracy",
  clean: "Clean test accuracy",
  mnistC: "MNIST-C mean accuracy (15 corruptions)",
};

/** The runs a summary covers, for the text. */
const runsOf = (summary: StudySummary) =>
  `seeds ${summary.seeds.join(", ")}${
    summary.limit !== null ? `, quick runs of ${summary.limit} images` : ""
  }${summary.epochs !== null ? `, ${summary.epochs} epoch(s)` : ""}`;

/** What each metric is called in the paired-difference sentences. */
const METRIC_SHORT: Record<StudyMetric, string> = {
  noisy: "noisy test",
  clean: "clean test",
  mnistC: "MNIST-C mean",
};

/**
 * One sentence per pair of recipes with every metric's paired difference
 * and its interval, e.g. "cnn − cnn-robust, paired by seed: noisy test
 * −0.03 pp (95 % t-interval −0.42 pp to +0.36 pp), clean test …, MNIST-C
 * mean −38.96 pp (…)." A metric without a difference is left out.
 */
function pairSentences(summary: StudySummary): string[] {
  const sentences: string[] = [];
  const recipePairs = new Map(
    summary.pairs.map((p) => [`${p.a} − ${p.b}`, { a: p.a, b: p.b }]),
  );
  for (const [label, { a, b }] of recipePairs) {
    const parts = STUDY_METRICS.flatMap((metric) => {
      const p = summary.pairs.find((q) =>
        q.a === a && q.b === b && q.metric === metric
      );
      if (!p || p.mean === null) return [];
      const interval = p.low !== null && p.high !== null
        ? ` (95 % t-interval ${formatPoints(p.low)} to ${formatPoints(p.high)})`
        : "";
      return [`${METRIC_SHORT[metric]} ${formatPoints(p.mean)}${interval}`];
    });
    if (parts.length > 0) {
      sentences.push(`${label}, paired by seed: ${parts.join(", ")}.`);
    }
  }
  return sentences;
}

/** The dot-and-interval spec of one metric. */
export function studySpec(
  summary: StudySummary,
  metric: StudyMetric,
): TopLevelSpec {
  const recipes = summary.recipes.map((r) => r.recipe);
  const means = summary.recipes.map((r) => {
    const m = r.metrics[metric];
    return {
      recipe: r.recipe,
      mean: m.mean,
      low: m.low ?? m.mean,
      high: m.high ?? m.mean,
    };
  });
  const seeds = summary.recipes.flatMap((r) =>
    r.metrics[metric].values.map((value, i) => ({
      recipe: r.recipe,
      seed: summary.seeds[i],
      value,
    }))
  );
  const published = metric === "noisy"
    ? summary.recipes.filter((r) => r.published !== null).map((r) => ({
      recipe: r.recipe,
      value: r.published,
    }))
    : [];
  const y = {
    field: "recipe",
    type: "nominal",
    title: null,
    sort: recipes,
  } as const;
  const x = {
    type: "quantitative",
    title: METRIC_TITLES[metric],
    scale: { zero: false },
    axis: { format: ".1%" },
  } as const;
  return {
    width: 420,
    height: 40 * recipes.length,
    layer: [
      {
        data: { values: means },
        mark: { type: "rule", color: "#1b6ca8", strokeWidth: 2 },
        encoding: { y, x: { ...x, field: "low" }, x2: { field: "high" } },
      },
      {
        data: { values: seeds },
        mark: { type: "point", color: "#888", size: 25, filled: true },
        encoding: { y, x: { ...x, field: "value" } },
      },
      {
        data: { values: means },
        mark: { type: "point", color: "#1b6ca8", size: 90, filled: true },
        encoding: { y, x: { ...x, field: "mean" } },
      },
      ...(published.length
        ? [{
          data: { values: published },
          mark: {
            type: "tick" as const,
            color: "#c0392b",
            thickness: 2,
            size: 30,
          },
          encoding: { y, x: { ...x, field: "value" } },
        }]
        : []),
    ],
  };
}

/** The section for a summary, or absent without one. */
export async function studySection(
  summary: StudySummary | null,
): Promise<StudySection> {
  if (!summary) {
    return { status: "absent", text: [], charts: [], headers: [], rows: [] };
  }
  const charts: Chart[] = [];
  for (const metric of STUDY_METRICS) {
    charts.push(
      await chart(
        `study-${metric}`,
        `${METRIC_TITLES[metric]} across seeds`,
        `Each recipe's mean (large dot) with its ${
          Math.round(summary.confidence * 100)
        } % t-interval (line); small dots are single seeds${
          metric === "noisy" ? "; red marks: the study's published figure" : ""
        }.`,
        studySpec(summary, metric),
      ),
    );
  }
  const rows = summary.recipes.map((r) => [
    r.recipe,
    String(r.metrics.noisy.n),
    ...STUDY_METRICS.map((m) => formatMeanInterval(r.metrics[m])),
    r.published === null ? "—" : formatPercent(r.published),
    r.published === null
      ? "—"
      : `${r.seedsReachingPublished} of ${r.metrics.noisy.n}`,
  ]);
  const pairs = pairSentences(summary);
  return {
    status: "present",
    text: [
      `The study over seeds (\`deno task study\`, ${
        runsOf(summary)
      }): each recipe trained once per seed and evaluated on the noisy and clean test digits and on MNIST-C's fifteen corruptions at their default severities.`,
      ...pairs,
    ],
    charts,
    headers: [
      "recipe",
      "seeds",
      "noisy (mean ± 95 %)",
      "clean (mean ± 95 %)",
      "MNIST-C mean (mean ± 95 %)",
      "study (noisy)",
      "seeds ≥ study",
    ],
    rows,
  };
}

/**
 * The headline across seeds: each recipe's noisy accuracy as mean ±
 * interval beside the study's figure (inline markup).
 */
export function studyFindings(summary: StudySummary): string[] {
  return summary.recipes.map((r) =>
    `**${r.recipe}** over ${r.metrics.noisy.n} seed(s): **${
      formatMeanInterval(r.metrics.noisy)
    }** on the noisy test digits (95 % t-interval), ${
      formatMeanInterval(r.metrics.clean)
    } on clean MNIST, ${
      formatMeanInterval(r.metrics.mnistC)
    } on MNIST-C's corruptions${
      r.published === null
        ? "."
        : `; the study reported ${
          formatPercent(r.published)
        }, reached by ${r.seedsReachingPublished} of ${r.metrics.noisy.n} seeds.`
    }`
  );
}

/** The section as HTML ("" when absent: the page is unchanged). */
export function studyHtml(section: StudySection): string {
  if (section.status === "absent") return "";
  const head = section.headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = section.rows.map((row) =>
    `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`
  ).join("\n");
  const charts = section.charts.map((c) =>
    `<figure class="chart" data-chart="${esc(c.id)}">
<h3>${esc(c.title)}</h3>
${c.svg}
<figcaption>${inlineHtml(c.caption)}</figcaption>
</figure>`
  ).join("\n");
  return `<section>
<h2 id="study">Across seeds</h2>
${section.text.map((t) => `<p>${inlineHtml(t)}</p>`).join("\n")}
<table class="summary study"><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table>
${charts}
</section>
`;
}

/** The section as Markdown ("" when absent). */
export function studyMd(section: StudySection): string {
  if (section.status === "absent") return "";
  const cell = (t: string) => t.replaceAll("|", "\\|");
  return [
    "## Across seeds",
    "",
    ...section.text.flatMap((t) => [t, ""]),
    `| ${section.headers.map(cell).join(" | ")} |`,
    `| ${section.headers.map(() => "---").join(" | ")} |`,
    ...section.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    "",
    ...section.charts.flatMap((c) => [
      `### ${c.title}`,
      "",
      `![${c.title}](figures/${c.id}.svg)`,
      "",
      c.caption,
      "",
    ]),
  ].join("\n");
}

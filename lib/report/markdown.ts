/**
 * The report as Markdown for a code host: the same content as the HTML
 * page, with charts and digits as image files under `figures/` beside
 * `report.md` (code hosts do not render inline SVG or `data:` URIs).
 *
 * @module
 */

import { studyMd } from "./content_study.ts";
import { type Chart, MODEL_LABELS } from "./charts.ts";
import { modelLabel } from "./model_names.ts";
import type {
  Gallery,
  KeyValue,
  ReportContent,
  RobustnessSection,
  SummaryTable,
} from "./content.ts";
import { formatInt, formatPercent } from "./format.ts";

/** The figure file of a chart, relative to the report folder. */
export function chartFile(chart: Chart): string {
  return `figures/${chart.id}.svg`;
}

/** Where the sample grid is copied, relative to the report folder. */
export const SAMPLES_FILE = "figures/samples.png";

/** Digits per row of a Markdown gallery table. */
const GALLERY_COLUMNS = 8;

function cell(text: string): string {
  // A pipe would end the table cell; a newline would end the row.
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function chartMd(chart: Chart): string {
  return `### ${chart.title}\n\n![${chart.title}](${
    chartFile(chart)
  })\n\n${chart.caption}\n`;
}

function kvMd(rows: readonly KeyValue[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  return [
    "| | |",
    "| --- | --- |",
    ...rows.map((r) => `| ${cell(r.key)} | ${cell(r.value)} |`),
  ].join("\n") + "\n";
}

function summaryMd(table: SummaryTable): string {
  const { models, rows, missing } = table;
  const header = `| Metric | ${
    models.map((m) =>
      missing[m]
        ? `${modelLabel(m)} (not trained: \`${missing[m]}\`)`
        : modelLabel(m)
    ).join(" | ")
  } |`;
  const align = `| --- | ${models.map(() => "---:").join(" | ")} |`;
  const body = rows.map((row) => {
    const label = row.reference ? `*${row.label}*` : row.label;
    const cells = models.map((m) => {
      const c = row.cells[m];
      if (!c) return "–";
      const text = row.key === "noisy-accuracy" ? `**${c.text}**` : c.text;
      return cell(c.detail ? `${text} <br><sub>${c.detail}</sub>` : text);
    });
    return `| ${cell(label)} | ${cells.join(" | ")} |`;
  });
  return [header, align, ...body].join("\n") + "\n";
}

function galleryMd(gallery: Gallery): string {
  const lines = [
    `### ${gallery.title}`,
    "",
    `${gallery.description} Caption: true → predicted, confidence, test index.`,
    "",
  ];
  if (gallery.tiles.length === 0) {
    return [...lines, "No such digits.", ""].join("\n");
  }
  const columns = Math.min(GALLERY_COLUMNS, gallery.tiles.length);
  lines.push(
    `|${" |".repeat(columns)}`,
    `|${" :---: |".repeat(columns)}`,
  );
  for (let i = 0; i < gallery.tiles.length; i += columns) {
    const row = gallery.tiles.slice(i, i + columns).map((t) => {
      const caption = `**${t.label} → ${t.predicted}** ${
        formatPercent(t.confidence, 1)
      }${t.note ? `<br>${t.note}` : ""}<br>#${t.index}`;
      return cell(
        `![${t.label} read as ${t.predicted}](${t.file})<br>${caption}`,
      );
    });
    while (row.length < columns) row.push("");
    lines.push(`| ${row.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

/** Corruption samples per row of the Markdown table. */
const SAMPLE_COLUMNS = 7;

function robustnessMd(section: RobustnessSection): string {
  if (section.status !== "fresh") {
    const prefix = section.status === "stale" ? "> **Stale:** " : "";
    return section.text.map((t) => `${prefix}${t}\n`).join("\n");
  }
  const lines = section.text.map((t) => `${t}\n`);
  if (section.table) {
    lines.push(summaryMd(section.table), `${section.tableNote ?? ""}\n`);
  }
  lines.push(...section.charts.map(chartMd), "### The corruptions", "");
  const samples = section.samples;
  if (samples.length > 0) {
    const columns = Math.min(SAMPLE_COLUMNS, samples.length);
    lines.push(`|${" |".repeat(columns)}`, `|${" :---: |".repeat(columns)}`);
    for (let i = 0; i < samples.length; i += columns) {
      const row = samples.slice(i, i + columns).map((s) => {
        const caption = s.name === "identity"
          ? "clean"
          : `\`${s.name}\`${
            s.group === "extra" ? " (extra)" : ""
          } s${s.severity}`;
        return cell(`![${s.name}](${s.file})<br>${caption}`);
      });
      while (row.length < columns) row.push("");
      lines.push(`| ${row.join(" | ")} |`);
    }
    lines.push("");
  }
  lines.push(`${section.samplesCaption ?? ""}\n`);
  return lines.join("\n");
}

/**
 * Render the report content as Markdown referencing `figures/…` files
 * (written by the stage beside `report.md`).
 *
 * @example
 * ```ts
 * import type { ReportContent } from "./mod.ts";
 *
 * declare const content: ReportContent; // from buildContent
 * const md = renderMarkdown(content);
 * await Deno.writeTextFile("data/report/report.md", md);
 * ```
 */
export function renderMarkdown(content: ReportContent): string {
  const parts: string[] = [
    `# ${content.title}`,
    "",
    `How much better is the CNN than the dense net on noisy digits, where does each fail, and can the numbers be trusted? Built ${content.generatedAt}. The same report as one self-contained page: [index.html](index.html).`,
    "",
    ...content.notices.map((n) => `> **Note:** ${n}\n`),
    "## 1. Summary",
    "",
    ...content.findings.map((f) => `${f}\n`),
    summaryMd(content.summary),
    chartMd(content.accuracyChart),
    "### Can I trust the numbers?",
    "",
    ...content.trust.map((t) => `- ${t}`),
    "",
    ...(content.models
      ? [
        "### All trained models",
        "",
        `${content.models.text}\n`,
        summaryMd(content.models.table),
        chartMd(content.models.chart),
      ]
      : []),
    "## 2. Learning curves",
    "",
    ...content.learningCharts.map(chartMd),
    "## 3. Confusion and per-digit metrics",
    "",
    ...content.confusionCharts.map(chartMd),
    ...content.confusions.map((c) =>
      `**${MODEL_LABELS[c.model]}: most frequent confusions** (${
        formatInt(c.errors)
      } mistakes in all): ${
        c.top.map((t) => `${t.actual} read as ${t.predicted} (${t.count})`)
          .join(", ")
      }.\n`
    ),
    chartMd(content.perClassChart),
    "## 4. The data",
    "",
    "### Augmentation recipe",
    "",
    kvMd(content.data.params, "The augment manifest records no parameters."),
    "### Counts",
    "",
    kvMd(content.data.counts, ""),
    "### Statistics recorded by the augment stage",
    "",
    kvMd(content.data.results, "The augment manifest records no results."),
    content.data.samplesPng
      ? `![Sample digits, clean and noisy](${SAMPLES_FILE})\n\nSamples written by the augment stage (\`noisy/samples.png\`): clean digits and their noisy versions.\n`
      : "No `noisy/samples.png`; run `deno task augment --force` to write one.\n",
    "## 5. Where they fail",
    "",
    ...content.galleries.map(galleryMd),
    "## 6. Robustness",
    "",
    robustnessMd(content.robustness),
    ...(content.study?.status === "present" ? [studyMd(content.study)] : []),
    "## 7. Provenance",
    "",
    "| Stage | Manifest | SHA-256 | Seed | Started | Took | Versions |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...content.provenance.map((p) =>
      `| ${cell(p.stage)} | \`${p.manifest}\` | \`${p.hash}\` | ${
        cell(p.seed)
      } | ${cell(p.startedAt)} | ${cell(p.duration)} | ${cell(p.versions)} |`
    ),
    "",
    "### Reproduce",
    "",
    "```sh",
    ...content.commands,
    "```",
    "",
  ];
  return parts.join("\n");
}

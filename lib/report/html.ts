/**
 * The report as one self-contained HTML page: styles inline, charts as
 * inline SVG, digits and the sample grid as `data:` URIs. It opens from
 * disk with no network.
 *
 * @module
 */

import { type Chart, MODEL_LABELS } from "./charts.ts";
import { modelLabel } from "./model_names.ts";
import type { ModelsSection } from "./content_models.ts";
import type {
  CorruptionSample,
  DigitTile,
  Gallery,
  KeyValue,
  ReportContent,
  RobustnessSection,
  SummaryTable,
} from "./content.ts";
import { pngDataUri } from "./digits.ts";
import { formatInt, formatPercent } from "./format.ts";
import { escapeHtml as esc, inlineHtml } from "./markup.ts";
import { REPORT_CSS } from "./style.ts";
import { studyHtml } from "./content_study.ts";

/** Section anchors and headings, in page order. */
export const SECTIONS = [
  ["summary", "1. Summary"],
  ["training", "2. Learning curves"],
  ["classes", "3. Confusion and per-digit metrics"],
  ["data", "4. The data"],
  ["failures", "5. Where they fail"],
  ["robustness", "6. Robustness"],
  ["provenance", "7. Provenance"],
] as const;

function heading(id: (typeof SECTIONS)[number][0]): string {
  const title = SECTIONS.find(([key]) => key === id)?.[1] ?? id;
  return `<h2 id="${id}">${esc(title)}</h2>`;
}

/** A chart as a `<figure class="chart">` with its inline SVG. */
export function chartHtml(chart: Chart): string {
  return `<figure class="chart" data-chart="${esc(chart.id)}">
<h3>${esc(chart.title)}</h3>
${chart.svg}
<figcaption>${inlineHtml(chart.caption)}</figcaption>
</figure>`;
}

function modelHeader(table: SummaryTable, model: string): string {
  const missing = table.missing[model];
  // The notice above the table says how to train it; keep the column narrow.
  const note = missing ? `<span class="missing-model">not trained</span>` : "";
  return `<th scope="col" class="model-${model}" data-model="${model}">${
    esc(modelLabel(model))
  }${note}</th>`;
}

/**
 * The summary table (or another table of metrics × models, with its own
 * `className`); cells carry `data-model` and `data-metric`.
 */
export function summaryHtml(
  table: SummaryTable,
  className = "summary",
): string {
  const head = `<tr><th scope="col">Metric</th>${
    table.models.map((m) => modelHeader(table, m)).join("")
  }</tr>`;
  const body = table.rows.map((row) => {
    const classes = [
      row.reference ? "reference" : "",
      row.key === "noisy-accuracy" ? "key" : "",
    ].filter(Boolean).join(" ");
    const cells = table.models.map((model) => {
      const cell = row.cells[model];
      if (!cell) {
        return `<td data-model="${model}" data-metric="${row.key}">–</td>`;
      }
      const detail = cell.detail
        ? `<span class="detail">${esc(cell.detail)}</span>`
        : "";
      return `<td data-model="${model}" data-metric="${row.key}"><span class="value">${
        esc(cell.text)
      }</span>${detail}</td>`;
    }).join("");
    return `<tr${classes ? ` class="${classes}"` : ""}><th scope="row">${
      esc(row.label)
    }</th>${cells}</tr>`;
  }).join("\n");
  return `<table class="${esc(className)}">
<thead>${head}</thead>
<tbody>
${body}
</tbody>
</table>`;
}

function kvTable(rows: readonly KeyValue[], empty: string): string {
  if (rows.length === 0) return `<p class="meta">${esc(empty)}</p>`;
  return `<table class="kv"><tbody>${
    rows.map((r) =>
      `<tr><th scope="row">${esc(r.key)}</th><td>${esc(r.value)}</td></tr>`
    ).join("")
  }</tbody></table>`;
}

function tileHtml(tile: DigitTile): string {
  const alt =
    `noisy test digit #${tile.index}: true ${tile.label}, predicted ${tile.predicted}`;
  const note = tile.note ? `<span class="small">${esc(tile.note)}</span>` : "";
  return `<figure class="digit" data-index="${tile.index}">
<img src="${pngDataUri(tile.png)}" width="84" height="84" alt="${esc(alt)}">
<figcaption><span class="verdict">${tile.label} → <span class="wrong">${tile.predicted}</span></span> ${
    formatPercent(tile.confidence, 1)
  }${note}<span class="small">#${tile.index}</span></figcaption>
</figure>`;
}

function galleryHtml(gallery: Gallery): string {
  const body = gallery.tiles.length === 0
    ? `<p class="meta">No such digits.</p>`
    : `<div class="gallery">${gallery.tiles.map(tileHtml).join("\n")}</div>`;
  return `<section class="gallery-section" id="${esc(gallery.id)}">
<h3>${esc(gallery.title)}</h3>
<p>${
    inlineHtml(gallery.description)
  } Caption: true → predicted, confidence, test index.</p>
${body}
</section>`;
}

function confusionsHtml(content: ReportContent): string {
  return `<div class="two-col">${
    content.confusions.map((c) =>
      `<div><h3>${esc(MODEL_LABELS[c.model])}: most frequent confusions</h3>
<ol class="confusions">${
        c.top.map((t) =>
          `<li>${t.actual} read as ${t.predicted}: ${t.count} ${
            t.count === 1 ? "image" : "images"
          }</li>`
        ).join("")
      }</ol><p class="meta">${formatInt(c.errors)} mistakes in all.</p></div>`
    ).join("")
  }</div>`;
}

function sampleHtml(sample: CorruptionSample): string {
  const what = sample.name === "identity"
    ? `clean<span class="small">no corruption</span>`
    : `${
      esc(sample.name)
    }<span class="small">severity ${sample.severity}</span>`;
  const alt = sample.name === "identity"
    ? "the clean test digit"
    : `the digit under ${sample.name} at severity ${sample.severity}`;
  return `<figure class="digit corruption" data-corruption="${
    esc(sample.name)
  }">
<img src="${pngDataUri(sample.png)}" width="84" height="84" alt="${esc(alt)}">
<figcaption>${what}</figcaption>
</figure>`;
}

/** Section 1's comparison of every trained model. */
function modelsHtml(section: ModelsSection): string {
  return `<div class="all-models"><h3 id="all-models">All trained models</h3>
<p>${inlineHtml(section.text)}</p>
<div class="summary-row">
${summaryHtml(section.table, "summary all-models")}
${chartHtml(section.chart)}
</div></div>`;
}

/** Section 6: the results, or what to run to get (or refresh) them. */
export function robustnessHtml(section: RobustnessSection): string {
  if (section.status !== "fresh") {
    const cls = section.status === "stale" ? "notice" : "meta";
    return `<div class="robustness" data-status="${section.status}">${
      section.text.map((t) => `<p class="${cls}">${inlineHtml(t)}</p>`)
        .join("\n")
    }</div>`;
  }
  const table = section.table
    ? `<div class="robustness-table">${
      summaryHtml(section.table, "summary robustness")
    }<p class="meta">${inlineHtml(section.tableNote ?? "")}</p></div>`
    : "";
  // MNIST-C's fifteen (after the clean digit) in one grid, extras apart.
  const grid = (group: CorruptionSample["group"], title: string) => {
    const samples = section.samples.filter((x) => x.group === group);
    return samples.length === 0
      ? ""
      : `${title}<div class="corruption-grid">${
        samples.map(sampleHtml).join("\n")
      }</div>`;
  };
  const samples = grid("mnist-c", "") +
    grid("extra", `<h4>Extra pixel noises (not in mCE)</h4>`);
  return `<div class="robustness" data-status="fresh">
<div class="findings">${
    section.text.map((t) => `<p>${inlineHtml(t)}</p>`).join("\n")
  }</div>
${table}
${section.charts.map(chartHtml).join("\n")}
<h3>The corruptions</h3>
${samples}
<p class="meta">${inlineHtml(section.samplesCaption ?? "")}</p>
</div>`;
}

function provenanceHtml(content: ReportContent): string {
  const rows = content.provenance.map((p) =>
    `<tr><td><strong>${esc(p.stage)}</strong><br><code>${
      esc(p.manifest)
    }</code></td><td><code class="hash">${esc(p.hash)}</code></td><td>${
      esc(p.seed)
    }</td><td>${esc(p.startedAt)}<br>${esc(p.duration)}</td><td>${
      esc(p.versions)
    }</td></tr>`
  ).join("\n");
  const details = content.provenance.map((p) =>
    `<details><summary>${esc(p.stage)}: input and output hashes</summary>${
      kvTable(p.files, "none recorded")
    }</details>`
  ).join("\n");
  return `<table class="provenance">
<thead><tr><th>Stage / manifest</th><th>Manifest SHA-256</th><th>Seed</th><th>Started / took</th><th>Versions</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${details}
<h3>Reproduce</h3>
<pre><code>${content.commands.map(esc).join("\n")}</code></pre>`;
}

/**
 * Render the report content as one self-contained HTML page.
 *
 * @example
 * ```ts
 * import { buildContent, loadReportInputs } from "./mod.ts";
 *
 * declare const upstreamHashes: Record<string, string>; // see buildContent
 * const inputs = await loadReportInputs("data");
 * const html = renderHtml(await buildContent(inputs, { upstreamHashes }));
 * await Deno.writeTextFile("data/report/index.html", html);
 * ```
 */
export function renderHtml(content: ReportContent): string {
  const toc = SECTIONS.map(([id, title]) =>
    `<a href="#${id}">${esc(title)}</a>`
  ).join("");
  const notices = content.notices.map((n) =>
    `<div class="notice" role="note">${inlineHtml(n)}</div>`
  ).join("\n");
  const samples = content.data.samplesPng
    ? `<figure><img class="samples" src="${
      pngDataUri(content.data.samplesPng)
    }" alt="sample digits, clean and noisy"><figcaption>Samples written by the augment stage (<code>noisy/samples.png</code>): clean digits and their noisy versions.</figcaption></figure>`
    : `<p class="meta">No <code>noisy/samples.png</code>; run <code>deno task augment --force</code> to write one.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(content.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(content.title)}</h1>
<p class="meta">How much better is the CNN than the dense net on noisy digits, where does each fail, and can the numbers be trusted? Built ${
    esc(content.generatedAt)
  }.</p>
<nav class="toc">${toc}</nav>
</header>
${notices}
<section>
${heading("summary")}
<div class="findings">${
    content.findings.map((f) => `<p>${inlineHtml(f)}</p>`).join("\n")
  }</div>
<div class="summary-row">
${summaryHtml(content.summary)}
${chartHtml(content.accuracyChart)}
</div>
<div class="trust"><h3>Can I trust the numbers?</h3><ul>${
    content.trust.map((t) => `<li>${inlineHtml(t)}</li>`).join("\n")
  }</ul></div>
${content.models ? modelsHtml(content.models) : ""}
</section>
<section>
${heading("training")}
${content.learningCharts.map(chartHtml).join("\n")}
</section>
<section>
${heading("classes")}
<div class="charts-row">${
    content.confusionCharts.map(chartHtml).join("\n")
  }</div>
${confusionsHtml(content)}
${chartHtml(content.perClassChart)}
</section>
<section>
${heading("data")}
<div class="two-col">
<div><h3>Augmentation recipe</h3>${
    kvTable(content.data.params, "The augment manifest records no parameters.")
  }</div>
<div><h3>Counts</h3>${kvTable(content.data.counts, "")}
<h3>Statistics recorded by the augment stage</h3>${
    kvTable(content.data.results, "The augment manifest records no results.")
  }</div>
</div>
${samples}
</section>
<section>
${heading("failures")}
${content.galleries.map(galleryHtml).join("\n")}
</section>
<section>
${heading("robustness")}
${robustnessHtml(content.robustness)}
</section>
${content.study ? studyHtml(content.study) : ""}<section>
${heading("provenance")}
${provenanceHtml(content)}
</section>
<footer>Generated by <code>deno task report</code> from the artifacts beside this folder.</footer>
</main>
</body>
</html>
`;
}

/**
 * Stage 4, `report`: reads the noisy dataset and the trained models'
 * artifacts, decides what the report says once (summary, findings, charts,
 * galleries, provenance), and renders it as one self-contained HTML page
 * and as Markdown; `browser_check.ts` opens the page in headless Chromium.
 *
 * @module
 */

export * from "./artifacts.ts";
export * from "./browser_check.ts";
export * from "./charts.ts";
export * from "./content.ts";
export * from "./content_charts.ts";
export * from "./content_types.ts";
export * from "./dataset.ts";
export * from "./digits.ts";
export * from "./failures.ts";
export * from "./format.ts";
export * from "./galleries.ts";
export * from "./html.ts";
export * from "./load.ts";
export * from "./markdown.ts";
export * from "./markup.ts";
export * from "./provenance.ts";
export * from "./stage.ts";
export * from "./stats.ts";
export * from "./style.ts";
export * from "./summary.ts";

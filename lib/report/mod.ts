/**
 * Stage 4, `report`: reads the noisy dataset and the trained models'
 * artifacts, decides what the report says once (summary, findings, charts,
 * galleries, provenance), and renders it as one self-contained HTML page
 * and as Markdown; `browser_check.ts` opens the page in headless Chromium.
 *
 * Public here: the stage ({@link runReportStage}), the browser check, and
 * the steps it chains for building a report from code: read the artifacts
 * ({@link loadReportInputs}), decide the content ({@link buildContent}),
 * render it ({@link renderHtml}, {@link renderMarkdown}); plus the
 * statistics it uses. Charts, galleries, summary and formatting helpers
 * are internal to the folder.
 *
 * @module
 */

export * from "./stage.ts";
export {
  type BrowserCheckOptions,
  checkReportInBrowser,
  type CheckResult,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  formatCheck,
  runBrowserDriver,
} from "./browser_check.ts";
export {
  findUpstream,
  type HistoryFile,
  loadReportInputs,
  type ModelArtifacts,
  type NoisyArtifacts,
  type PredictionSet,
  type PredictionsFile,
  type ReportInputs,
  upstreamHashes,
  type UpstreamManifests,
} from "./load.ts";
export { buildContent, type ContentOptions } from "./content.ts";
export * from "./content_types.ts";
export type { Chart } from "./charts.ts";
export { renderHtml } from "./html.ts";
export { renderMarkdown } from "./markdown.ts";
export * from "./stats.ts";

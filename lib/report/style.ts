/**
 * The report page's stylesheet, inlined into `index.html` so the page
 * needs nothing but itself. System fonts only: nothing to download.
 *
 * @module
 */

import { FONT } from "./charts.ts";

/** CSS of the report page. */
export const REPORT_CSS = `
:root {
  --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
  --accent: #1b6ca8; --dense: #d95f02; --cnn: #1b6ca8; --warn: #9a6700;
  --warn-bg: #fff8c5;
}
* { box-sizing: border-box; }
html { background: #fff; }
body {
  margin: 0; color: var(--ink); font: 15px/1.55 ${FONT};
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1120px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 28px; line-height: 1.2; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 {
  font-size: 21px; margin: 48px 0 12px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line);
}
h3 { font-size: 16px; margin: 28px 0 8px; }
p { margin: 8px 0; max-width: 78ch; }
code {
  font: 0.9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--soft); padding: 1px 5px; border-radius: 4px;
}
pre {
  background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
  padding: 12px 14px; overflow-x: auto;
}
pre code { background: none; padding: 0; }
.meta { color: var(--muted); margin: 0 0 16px; }
nav.toc { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 14px; margin: 8px 0 8px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.notice {
  background: var(--warn-bg); border: 1px solid #d4a72c; color: #4d2d00;
  border-radius: 6px; padding: 10px 14px; margin: 12px 0;
}
.findings p { font-size: 16px; }
.trust { background: var(--soft); border-radius: 8px; padding: 4px 18px 10px; margin: 20px 0; }
.trust ul { margin: 6px 0; padding-left: 20px; }
.trust li { margin: 4px 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 7px 12px; text-align: left; vertical-align: top; }
table.summary { min-width: 560px; margin: 16px 0; }
table.summary thead th {
  font-size: 15px; border-bottom: 2px solid var(--ink); text-align: right;
}
table.summary thead th:first-child { text-align: left; }
table.summary tbody th { font-weight: 500; color: var(--muted); }
table.summary tbody tr { border-bottom: 1px solid var(--line); }
table.summary td { text-align: right; white-space: nowrap; }
table.summary td .value { font-weight: 600; }
table.summary td .detail { display: block; font-size: 12px; color: var(--muted); }
table.summary tr.reference td, table.summary tr.reference th { background: var(--soft); font-style: italic; }
table.summary tr.key td .value { font-size: 17px; }
th.model-dense { color: var(--dense); }
th.model-cnn { color: var(--cnn); }
.missing-model { display: block; font-size: 12px; font-weight: 400; color: var(--warn); }
table.kv { margin: 8px 0 16px; font-size: 14px; }
table.kv th { font-weight: 500; color: var(--muted); }
table.kv tr { border-bottom: 1px solid var(--line); }
table.kv td { word-break: break-word; }
figure { margin: 20px 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 6px; max-width: 78ch; }
figure.chart h3 { margin-top: 0; }
.charts-row, .summary-row { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; }
.charts-row > figure { flex: 0 1 500px; }
.summary-row > figure { flex: 0 1 460px; margin-top: 8px; }
.summary-row > table { flex: 0 0 auto; }
.two-col { display: flex; flex-wrap: wrap; gap: 0 48px; }
.two-col > * { flex: 1 1 320px; }
img.samples { width: 100%; max-width: 560px; height: auto; border: 1px solid var(--line); }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 14px 10px; margin: 12px 0 8px; }
figure.digit { margin: 0; text-align: center; }
figure.digit img {
  width: 84px; height: 84px; image-rendering: pixelated; display: block;
  margin: 0 auto; border-radius: 4px; box-shadow: 0 0 0 1px var(--line);
}
figure.digit figcaption { font-size: 13px; margin: 4px 0 0; color: var(--ink); }
figure.digit .verdict { font-weight: 600; }
figure.digit .wrong { color: #cf222e; }
figure.digit .small { display: block; font-size: 11.5px; color: var(--muted); }
.robustness-table { display: flex; flex-wrap: wrap; gap: 0 36px; align-items: flex-start; }
.robustness-table > table { flex: 0 0 auto; margin: 8px 0 12px; }
.robustness-table > p { flex: 1 1 300px; margin-top: 12px; font-size: 14px; }
.corruption-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(104px, 1fr)); gap: 12px 8px; margin: 12px 0 8px; max-width: 940px; }
h4 { font-size: 14px; margin: 16px 0 4px; color: var(--muted); font-weight: 600; }
figure.corruption figcaption { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; }
figure.corruption .small { font-family: ${FONT}; }
ol.confusions { margin: 4px 0 12px; padding-left: 22px; }
table.provenance { font-size: 13.5px; width: 100%; }
table.provenance thead th { border-bottom: 2px solid var(--ink); }
table.provenance tr { border-bottom: 1px solid var(--line); }
table.provenance td:nth-child(4) { white-space: nowrap; }
code.hash { word-break: break-all; font-size: 12px; }
details { margin: 8px 0; }
details summary { cursor: pointer; color: var(--accent); }
footer { margin-top: 56px; color: var(--muted); font-size: 13px; }
`;

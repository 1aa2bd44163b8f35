/**
 * What the report says, decided once: the summary table, the findings,
 * the charts, the galleries, the data and provenance tables. The HTML
 * page and the Markdown file are two renderings of this one value, so
 * they cannot disagree.
 *
 * Text fields use a tiny inline markup both renderers understand:
 * `` `code` `` and `**bold**`.
 *
 * This module only assembles {@link ReportContent}; each section is
 * decided in its own module (summary.ts, content_charts.ts, dataset.ts,
 * galleries.ts, content_robustness.ts, provenance.ts). The content's types and constants are
 * re-exported here so importers have one place to look.
 *
 * @module
 */

import { correctCount } from "./artifacts.ts";
import {
  accuracyChart,
  confusionCharts,
  learningCharts,
  perClassChart,
} from "./content_charts.ts";
import { robustnessSection, staleMessage } from "./content_robustness.ts";
import { studyFindings, studySection } from "./content_study.ts";
import type { ReportContent } from "./content_types.ts";
import { modelsFindings, modelsSection } from "./content_models.ts";
import { dataSection } from "./dataset.ts";
import { formatTimestamp } from "./format.ts";
import { galleries } from "./galleries.ts";
import type { ReportInputs } from "./load.ts";
import { commands, provenanceRows } from "./provenance.ts";
import { topConfusions } from "./stats.ts";
import { findings, notices, summaryTable, trustNotes } from "./summary.ts";

export {
  type CorruptionSample,
  type DataSection,
  type DigitTile,
  type Gallery,
  GALLERY_SIZE,
  type KeyValue,
  type ModelConfusions,
  type ProvenanceRow,
  type ReportContent,
  type RobustnessSection,
  STUDY_ACCURACY,
  type SummaryCell,
  type SummaryRow,
  type SummaryTable,
} from "./content_types.ts";
export { keyValues } from "./dataset.ts";

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
 * import { findUpstream, loadReportInputs, upstreamHashes } from "./mod.ts";
 *
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
  return {
    title: "Noisy MNIST: dense network vs CNN",
    generatedAt: formatTimestamp((options.now ?? new Date()).toISOString()),
    notices: [
      ...notices(inputs),
      ...(inputs.robustness.status === "stale"
        ? [staleMessage(inputs.robustness.reasons)]
        : []),
    ],
    // With a study the headline quotes mean ± interval, not one run.
    findings: [
      ...(inputs.study ? studyFindings(inputs.study) : findings(inputs)),
      ...modelsFindings(inputs),
    ],
    trust: trustNotes(inputs, hashes["noisy/manifest.json"]),
    summary: summaryTable(inputs),
    accuracyChart: await accuracyChart(inputs),
    models: await modelsSection(inputs),
    learningCharts: await learningCharts(inputs),
    confusionCharts: await confusionCharts(inputs),
    perClassChart: await perClassChart(inputs),
    confusions: inputs.models.map((m) => ({
      model: m.name,
      top: topConfusions(m.metrics.test.noisy.confusion, 5),
      errors: m.metrics.test.noisy.count - correctCount(m),
    })),
    data: dataSection(inputs),
    galleries: galleries(inputs),
    robustness: await robustnessSection(inputs),
    study: await studySection(inputs.study ?? null),
    provenance: provenanceRows(inputs, hashes),
    commands: commands(inputs),
  };
}

/**
 * The README's "Results" table, generated from `summary.json`: one row per
 * recipe with its mean ± half-width of the 95 % t-interval for noisy,
 * clean and MNIST-C accuracy, and how many seeds reach the study's
 * figure; written between two marker comments so the rest of the README
 * stays hand-written.
 *
 * ```ts
 * import { replaceBetweenMarkers, TABLE_MARKERS } from "./table.ts";
 *
 * const readme = `a\n${TABLE_MARKERS.start}\nold\n${TABLE_MARKERS.end}\nb\n`;
 * console.log(replaceBetweenMarkers(readme, "new", "README.md"));
 * ```
 *
 * @module
 */

import { DataError } from "../core/mod.ts";
import type { MetricSummary, StudySummary } from "./summary.ts";

/** The comments the table sits between in the README. */
export const TABLE_MARKERS = {
  start: "<!-- study:table:start -->",
  end: "<!-- study:table:end -->",
} as const;

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** `97.21 ± 0.35 %` (mean ± half-width), or the mean alone when n < 2. */
export function formatMeanInterval(m: MetricSummary): string {
  if (m.mean === null) return "—";
  if (m.low === null || m.high === null) return `${pct(m.mean)} (n = 1)`;
  return `${(m.mean * 100).toFixed(2)} ± ${
    ((m.high - m.mean) * 100).toFixed(2)
  } %`;
}

/** The Markdown table of a summary (no markers). */
export function studyTable(summary: StudySummary): string {
  const quick = [
    summary.limit !== null ? `--limit ${summary.limit}` : "",
    summary.epochs !== null ? `--epochs ${summary.epochs}` : "",
  ].filter(Boolean).join(" ");
  const rows = summary.recipes.map((r) =>
    `| ${r.recipe} | ${r.metrics.noisy.n} | ${
      formatMeanInterval(r.metrics.noisy)
    } | ${formatMeanInterval(r.metrics.clean)} | ${
      formatMeanInterval(r.metrics.mnistC)
    } | ${r.published === null ? "—" : pct(r.published)} | ${
      r.published === null
        ? "—"
        : `${r.seedsReachingPublished} of ${r.metrics.noisy.n}`
    } |`
  );
  return [
    `Seeds ${summary.seeds.join(", ")}${
      quick ? ` (quick runs: ${quick})` : ""
    }; mean ± half-width of the ${
      Math.round(summary.confidence * 100)
    } % t-interval, from \`data/study/summary.json\` (\`deno task study:table\`).`,
    "",
    "| recipe | seeds | noisy test acc | clean test acc | MNIST-C mean (15) | study (noisy) | seeds ≥ study |",
    "| ------ | ----: | -------------: | -------------: | ----------------: | ------------: | ------------: |",
    ...rows,
  ].join("\n");
}

/**
 * `text` with what lies between the markers replaced by `table`; a
 * one-line {@link DataError} naming `path` when the markers are missing
 * or out of order.
 */
export function replaceBetweenMarkers(
  text: string,
  table: string,
  path: string,
): string {
  const start = text.indexOf(TABLE_MARKERS.start);
  const end = text.indexOf(TABLE_MARKERS.end);
  if (start < 0 || end < start) {
    throw new DataError(
      `${path} has no ${TABLE_MARKERS.start} … ${TABLE_MARKERS.end} markers; add them where the table goes`,
    );
  }
  return text.slice(0, start + TABLE_MARKERS.start.length) + "\n" + table +
    "\n" + text.slice(end);
}

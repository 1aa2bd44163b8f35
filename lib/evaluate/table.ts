/**
 * The evaluation as a plain-text table: one row per model and test set,
 * and a mean row after each root's test sets.
 *
 * @module
 */

import type { EvaluationFile } from "./stage.ts";

const percent = (x: number) => `${(x * 100).toFixed(2)} %`;
const count = (n: number) => n.toLocaleString("en-US");

/**
 * Rows of model, test set, accuracy, its 95 % interval, loss and count,
 * columns aligned (numbers to the right).
 *
 * @example
 * ```text
 * model  test set  accuracy  95 % CI          loss    images
 * dense  noisy      87.60 %  85.40–89.51 %  0.4213     1,000
 * ```
 */
export function formatEvaluationTable(file: EvaluationFile): string {
  const header = ["model", "test set", "accuracy", "95 % CI", "loss", "images"];
  const rows: string[][] = [];
  const rootOf = new Map(file.testSets.map((t) => [t.name, t.root]));
  file.results.forEach((r, i) => {
    rows.push([
      r.model,
      r.testSet,
      percent(r.accuracy),
      `${(r.interval.low * 100).toFixed(2)}–${
        (r.interval.high * 100).toFixed(2)
      } %`,
      r.loss.toFixed(4),
      count(r.count),
    ]);
    const root = rootOf.get(r.testSet);
    const next = file.results[i + 1];
    const rootEnds = root && (next?.model !== r.model ||
      rootOf.get(next.testSet) !== root);
    const mean = rootEnds &&
      file.means.find((m) => m.model === r.model && m.root === root);
    if (mean) {
      rows.push([
        mean.model,
        `${mean.root} (mean of ${mean.testSets})`,
        percent(mean.accuracy),
        "",
        mean.loss.toFixed(4),
        count(mean.count),
      ]);
    }
  });
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((row) => row[c].length))
  );
  const right = [false, false, true, true, true, true];
  const line = (cells: string[]) =>
    cells.map((cell, c) =>
      right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])
    ).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

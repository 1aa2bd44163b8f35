/**
 * Stage 4: turn the artifacts in the data folder into a report:
 * `report/index.html` (self-contained) and `report/report.md` with
 * `report/figures/`.
 *
 *     deno task report [--data-dir DIR] [--force] [--help]
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  resolveDataDir,
  runMain,
} from "../lib/cli/mod.ts";
import { logLine } from "../lib/core/mod.ts";
import { REPORT_FILES, runReportStage } from "../lib/report/mod.ts";
import { join } from "node:path";

const INFO = defineScript({
  usage: "deno task report [flags]",
  summary: `
Write <data-dir>/report/index.html (one self-contained page: charts as
inline SVG, digits as data URIs) and report.md with figures/ beside it,
comparing the dense network and the CNN on the noisy test digits. Reads
noisy/ and models/*/ only; skipped when nothing changed since the last run.`,
  flags: {
    "data-dir": DATA_DIR_FLAG,
    force: { type: "boolean", description: "rebuild even if up to date" },
  },
});

runMain(INFO, async (flags) => {
  const result = await runReportStage({
    dataDir: resolveDataDir(flags["data-dir"]),
    force: flags.force,
    onLog: logLine,
  });
  if (result.status === "up to date") {
    logLine("report: up to date");
    return 0;
  }
  logLine(
    `report: wrote ${join(result.dir, REPORT_FILES.html)} and ${
      join(result.dir, REPORT_FILES.markdown)
    } (+${result.files.length - 2} figure files)`,
  );
  return 0;
});

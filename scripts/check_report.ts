/**
 * Check the report in a real browser: open `<data-dir>/report/index.html`
 * offline in headless Chromium, check that it renders without console
 * errors, that every chart has marks and that the summary table shows
 * `metrics.json`'s accuracies; save `report/screenshot.png`. One line per
 * check; exit 0 when all pass, 1 otherwise.
 *
 *     deno task check:report [--data-dir DIR] [--chromium PATH] [--help]
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  resolveDataDir,
  runMain,
} from "../lib/cli/mod.ts";
import {
  checkReportInBrowser,
  CHROMIUM_PATH,
  formatCheck,
} from "../lib/report/mod.ts";

const INFO = defineScript({
  usage: "deno task check:report [flags]",
  summary: `
Open the report in headless Chromium (offline, file:// URL) and check it:
no console errors, marks in every chart, the summary table's accuracies
equal metrics.json's. Saves report/screenshot.png (full page).`,
  flags: {
    "data-dir": DATA_DIR_FLAG,
    chromium: {
      type: "string",
      valueName: "PATH",
      description: "Chromium binary",
      default: CHROMIUM_PATH,
    },
  },
});

runMain(INFO, async (flags) => {
  const results = await checkReportInBrowser({
    dataDir: resolveDataDir(flags["data-dir"]),
    executablePath: flags.chromium,
  });
  for (const result of results) console.log(formatCheck(result));
  return results.every((r) => r.ok) ? 0 : 1;
});

/**
 * The web app checked in a real browser: serve it on a free port of
 * 127.0.0.1, open it in headless Chromium (driven by playwright-core from
 * a child process, `browser_driver.ts`), draw a "1" and a "0" with real
 * mouse events, show noisy test digits, and compare everything the page
 * shows with what Deno computes from the same pixels and the same
 * verified models: the preprocessed input, and every probability within
 * {@link PROBABILITY_TOLERANCE}. Also: predictions while drawing, clear,
 * random test digit, no console errors, no request leaving the server,
 * and a screenshot.
 *
 * The caller needs `--allow-run`, net, read, write and env (`deno test
 * -P` has them).
 *
 * @module
 */

import { exists, MissingInputError } from "../core/mod.ts";
import { NUM_CLASSES } from "../data/mod.ts";
import {
  loadTrainedModels,
  predictInputs,
  preprocessImage,
  splitInputs,
  topClasses,
} from "../predict/mod.ts";
import {
  type CheckResult,
  CHROMIUM_PATH,
  runBrowserDriver,
} from "../report/mod.ts";
import type { DriverOptions, DriverReport } from "./browser_driver.ts";
import { serveSite } from "./server.ts";
import { buildSite } from "./site.ts";

/** Largest difference allowed between a browser and a Deno probability. */
export const PROBABILITY_TOLERANCE = 1e-4;

/** Options of {@link checkServeInBrowser}. */
export interface ServeCheckOptions {
  /** Artifact folder with trained models and `noisy/`. */
  dataDir: string;
  /** Where to save the screenshot (PNG). */
  screenshotPath: string;
  /** The Chromium binary (default `/usr/bin/chromium`). */
  executablePath?: string;
  /** Noisy test digits to compare (default 100, spread over the split). */
  digits?: number;
  /** Per-action timeout in milliseconds (default 60 s). */
  timeoutMs?: number;
}

/** What {@link checkServeInBrowser} found. */
export interface ServeCheckReport {
  /** One result per check. */
  results: CheckResult[];
  /** Largest |browser − Deno| probability over digits and drawings. */
  maxDifference: number;
  /** What each model read the drawn "1" and "0" as (top class). */
  drawn: Record<string, Record<string, number>>;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function runDriver(options: DriverOptions): Promise<DriverReport> {
  return runBrowserDriver<DriverReport>(
    new URL("./browser_driver.ts", import.meta.url),
    options,
  );
}

/**
 * Serve the app of `dataDir`, drive it in headless Chromium and compare
 * it with Deno's own predictions. Throws a {@link MissingInputError} when
 * there is no browser, no trained model or no noisy test set; a failed
 * check is a result, not an exception.
 */
export async function checkServeInBrowser(
  options: ServeCheckOptions,
): Promise<ServeCheckReport> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!(await exists(executablePath))) {
    throw new MissingInputError(
      `${executablePath} is missing; install it with \`apt-get install -y chromium\``,
    );
  }
  const site = await buildSite({ dataDir: options.dataDir });
  const test = site.noisyTest?.split;
  if (!test) {
    throw new MissingInputError(
      "the check needs the noisy test set; run `deno task augment`",
    );
  }
  const count = Math.min(options.digits ?? 100, test.count);
  const step = test.count / count;
  const indices = Array.from({ length: count }, (_, i) => Math.floor(i * step));
  const server = serveSite(site, { port: 0, host: "127.0.0.1" });
  let report: DriverReport;
  try {
    report = await runDriver({
      url: server.url.replace("localhost", "127.0.0.1"),
      executablePath,
      screenshotPath: options.screenshotPath,
      timeoutMs: options.timeoutMs ?? 60_000,
      indices,
    });
  } finally {
    await server.shutdown();
  }

  const results = [...report.results];
  const add = (name: string, ok: boolean, detail: string) =>
    results.push({ name, ok, detail });
  const models = await loadTrainedModels(options.dataDir);
  let maxDifference = 0;

  // The test digits: the page's bars against Deno's predictions.
  const inputs = splitInputs(test, indices);
  const labelsMatch =
    report.digits.labels.every((label, i) =>
      label === test.labels[indices[i]]
    ) && report.digits.labels.length === count;
  let digitsDifference = 0;
  for (const { name, model } of models) {
    const deno = predictInputs(model, inputs);
    const shown = report.digits.shown[name] ?? [];
    const flat = shown.flat();
    digitsDifference = Math.max(
      digitsDifference,
      shown.length === count ? maxAbsDifference(flat, deno) : Infinity,
    );
  }
  maxDifference = Math.max(maxDifference, digitsDifference);
  add(
    `${count} noisy test digits: browser probabilities = Deno's`,
    labelsMatch && digitsDifference <= PROBABILITY_TOLERANCE,
    `max |difference| ${digitsDifference.toExponential(2)} over ${
      models.map((m) => m.name).join(", ")
    }${labelsMatch ? "" : "; labels differ"}`,
  );

  // The drawings: same preprocessing, same probabilities, and read right.
  const drawn: Record<string, Record<string, number>> = {};
  const expected: Record<string, number> = { one: 1, zero: 0 };
  for (const drawing of report.drawings) {
    const input = preprocessImage({
      width: drawing.pad.width,
      height: drawing.pad.height,
      data: Uint8ClampedArray.from(drawing.pad.data),
    });
    const inputDifference = maxAbsDifference(drawing.input, input);
    let difference = 0;
    const tops: Record<string, number> = {};
    for (const { name, model } of models) {
      const deno = predictInputs(model, input);
      const shown = drawing.shown[name] ?? [];
      difference = Math.max(
        difference,
        shown.length === NUM_CLASSES ? maxAbsDifference(shown, deno) : Infinity,
      );
      tops[name] = shown.length ? topClasses(shown, 1)[0].class : -1;
    }
    maxDifference = Math.max(maxDifference, difference);
    drawn[drawing.name] = tops;
    add(
      `drawn "${drawing.name}": the page's 28×28 input = Deno's preprocessing`,
      inputDifference <= 1e-6,
      `max |difference| ${inputDifference.toExponential(2)}`,
    );
    add(
      `drawn "${drawing.name}": browser probabilities = Deno's`,
      difference <= PROBABILITY_TOLERANCE,
      `max |difference| ${difference.toExponential(2)}`,
    );
    const want = expected[drawing.name];
    // How well each model reads it depends on its training; the page
    // must show at least one reading it right (a quick test model may
    // hesitate, a fully trained pair reads both).
    add(
      `drawn "${drawing.name}" is read as ${want}`,
      Object.values(tops).includes(want),
      Object.entries(tops).map(([m, c]) => `${m}: ${c}`).join(", "),
    );
  }
  for (const { model } of models) model.dispose();
  return { results, maxDifference, drawn };
}

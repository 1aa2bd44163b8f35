/**
 * The playwright-core half of the browser check, run by
 * `checkReportInBrowser` in a child `deno run -A` process (see
 * `browser_check.ts` for why). Takes the resolved options as one JSON
 * argument and prints the results as one JSON line on stdout.
 *
 * @module
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import type { ModelMetrics, ModelName } from "../train/mod.ts";
import {
  FileSystemError,
  readJsonIfExists,
  writeFileAtomic,
} from "../core/mod.ts";
import {
  type CheckResult,
  CHROMIUM_ARGS,
  type ResolvedCheckOptions,
} from "./browser_check.ts";
import { formatPercent } from "./format.ts";
import { MODEL_FILES, REPORT_MODELS } from "./load.ts";
import type { RobustnessResults } from "../robustness/mod.ts";
import { ROBUSTNESS_DIR, ROBUSTNESS_FILES } from "../robustness/mod.ts";
import { findTrainedModels } from "../evaluate/mod.ts";
import { MODELS_METRICS } from "./content_models.ts";
import { REPORT_FILES, reportDir } from "./stage.ts";

/** The marks a Vega SVG draws, as opposed to its axes, legends and frame. */
const MARK_SELECTOR = "g.role-mark > *";

/** Run every check in one browser session. */
export async function runBrowserChecks(
  options: ResolvedCheckOptions,
): Promise<CheckResult[]> {
  const dir = reportDir(options.dataDir);
  const results: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) =>
    results.push({ name, ok, detail });

  const browser = await chromium.launch({
    executablePath: options.executablePath,
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    page.setDefaultTimeout(options.timeoutMs);
    const consoleErrors: string[] = [];
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    // The page must open offline: anything but the file itself and
    // inline data is refused and reported.
    const htmlPath = await Deno.realPath(join(dir, REPORT_FILES.html));
    const url = pathToFileURL(htmlPath).href;
    await page.route("**/*", (route) => {
      const target = route.request().url();
      if (target === url || target.startsWith("data:")) {
        return route.continue();
      }
      blocked.push(target);
      return route.abort();
    });

    const response = await page.goto(url, { waitUntil: "load" });
    const title = await page.title();
    add(
      "page loads from file://",
      response !== null && title.length > 0,
      `${url} (title "${title}")`,
    );

    await checkCharts(page, dir, add);
    for (const model of REPORT_MODELS) {
      const metrics = await readJsonIfExists<ModelMetrics>(
        join(options.dataDir, "models", model, MODEL_FILES.metrics),
      );
      if (metrics) results.push(await checkSummary(page, model, metrics));
    }
    results.push(await checkRobustness(page, options.dataDir));
    results.push(await checkAllModels(page, options.dataDir));
    await checkImages(page, add);

    add(
      "no network requests",
      blocked.length === 0,
      blocked.length === 0
        ? "nothing fetched beyond the file itself"
        : `blocked ${blocked.length}: ${blocked.slice(0, 3).join(", ")}`,
    );
    add(
      "no console errors",
      consoleErrors.length === 0,
      consoleErrors.length === 0
        ? "console clean"
        : `${consoleErrors.length}: ${consoleErrors[0].split("\n")[0]}`,
    );

    // Written atomically here, so that a folder in the way, a read-only
    // or a full disk is one failed check naming the file, and an old
    // screenshot stays whole.
    const shot = await page.screenshot({ fullPage: true });
    const saved = await writeFileAtomic(options.screenshotPath, shot).then(
      () => `${options.screenshotPath} (${shot.length} bytes)`,
      (error) => {
        if (error instanceof FileSystemError) return error;
        throw error;
      },
    );
    add(
      "screenshot saved",
      typeof saved === "string" && shot.length > 0,
      typeof saved === "string" ? saved : saved.message,
    );
  } finally {
    await browser.close();
  }
  return results;
}

type Add = (name: string, ok: boolean, detail: string) => void;

/** Every chart figure holds one SVG with marks; as many as the manifest says. */
async function checkCharts(page: Page, dir: string, add: Add): Promise<void> {
  const charts = page.locator("figure.chart");
  const count = await charts.count();
  const manifest = await readJsonIfExists<{ results?: { charts?: number } }>(
    join(dir, "manifest.json"),
  );
  const expected = manifest?.results?.charts;
  add(
    "charts present",
    count > 0 && (expected === undefined || count === expected),
    `${count} chart figures${
      expected === undefined ? "" : ` (manifest: ${expected})`
    }`,
  );
  for (let i = 0; i < count; i++) {
    const figure = charts.nth(i);
    const id = await figure.getAttribute("data-chart") ?? `#${i + 1}`;
    const svgs = await figure.locator("svg").count();
    const marks = await figure.locator(`svg ${MARK_SELECTOR}`).count();
    add(
      `chart ${id} has marks`,
      svgs === 1 && marks > 0,
      `${svgs} svg, ${marks} mark elements`,
    );
  }
}

/** Every image is a `data:` URI the browser decoded. */
async function checkImages(page: Page, add: Add): Promise<void> {
  const images = await page.locator("img").evaluateAll((elements) =>
    elements.map((element) => {
      // Deno's type library has no DOM; describe what we read.
      const image = element as unknown as { src: string; naturalWidth: number };
      return {
        inline: image.src.startsWith("data:"),
        width: image.naturalWidth,
      };
    })
  );
  const external = images.filter((i) => !i.inline).length;
  const broken = images.filter((i) => i.width === 0).length;
  add(
    "images are inline and decode",
    images.length > 0 && external === 0 && broken === 0,
    `${images.length} images, ${external} not data: URIs, ${broken} not decoded`,
  );
}

/**
 * The robustness section: when it shows results, its table's MNIST-C
 * accuracy and mCE cells against `robustness/results.json`; otherwise it
 * must say what to run.
 */
async function checkRobustness(
  page: Page,
  dataDir: string,
): Promise<CheckResult> {
  const name = "robustness table matches robustness/results.json";
  const block = page.locator("div.robustness");
  const status = (await block.count()) === 1
    ? await block.getAttribute("data-status")
    : null;
  if (status !== "fresh") {
    const text = status ? (await block.textContent()) ?? "" : "";
    return {
      name: "robustness section says what to run",
      ok: /deno task robustness/.test(text),
      detail: `section ${status ?? "missing"}`,
    };
  }
  const results = await readJsonIfExists<RobustnessResults>(
    join(dataDir, ROBUSTNESS_DIR, ROBUSTNESS_FILES.results),
  );
  const problems: string[] = [];
  const seen: string[] = [];
  for (const m of results?.models ?? []) {
    for (
      const [metric, expected] of [
        ["mnist-c-accuracy", formatPercent(m.mnistCAccuracy)],
        ["mce", formatPercent(m.mCE, 1)],
      ]
    ) {
      const cell = page.locator(
        `table.robustness td[data-model="${m.model}"][data-metric="${metric}"] .value`,
      );
      const text = (await cell.count()) === 1
        ? (await cell.textContent())?.trim()
        : undefined;
      seen.push(`${m.model} ${metric} ${text ?? "missing"}`);
      if (text !== expected) {
        problems.push(
          `${m.model} ${metric}: page "${text}", results ${expected}`,
        );
      }
    }
  }
  return {
    name,
    ok: seen.length > 0 && problems.length === 0,
    detail: problems.length === 0
      ? seen.join(", ") || "no results"
      : problems.join("; "),
  };
}

/**
 * With more trained models than the study's two, the "All trained models"
 * table's cells against each model's `metrics.json` and, when the page
 * shows robustness results, `robustness/results.json`; without, the
 * table must be absent.
 */
async function checkAllModels(
  page: Page,
  dataDir: string,
): Promise<CheckResult> {
  const name = "all-models table matches every model's files";
  const names = await findTrainedModels(dataDir);
  const table = page.locator("table.all-models");
  const extra = names.filter((n) => !(REPORT_MODELS as string[]).includes(n));
  if (extra.length === 0) {
    const count = await table.count();
    return {
      name,
      ok: count === 0,
      detail: count === 0
        ? "only the study's models: no table, as expected"
        : "a table although only the study's models are trained",
    };
  }
  const fresh = await page.locator('.robustness[data-status="fresh"]')
    .count() === 1;
  const results = fresh
    ? await readJsonIfExists<RobustnessResults>(
      join(dataDir, ROBUSTNESS_DIR, ROBUSTNESS_FILES.results),
    )
    : undefined;
  const problems: string[] = [];
  let checked = 0;
  for (const model of names) {
    const metrics = await readJsonIfExists<ModelMetrics>(
      join(dataDir, "models", model, MODEL_FILES.metrics),
    );
    const r = results?.models.find((m) => m.model === model);
    const wanted: [string, string | undefined][] = [
      [
        MODELS_METRICS.noisy,
        metrics && formatPercent(metrics.test.noisy.accuracy),
      ],
      [
        MODELS_METRICS.clean,
        metrics && formatPercent(metrics.test.clean.accuracy),
      ],
      [MODELS_METRICS.mnistC, r && formatPercent(r.mnistCAccuracy)],
      [MODELS_METRICS.mce, r && formatPercent(r.mCE, 1)],
    ];
    for (const [metric, expected] of wanted) {
      const cell = page.locator(
        `table.all-models td[data-model="${model}"][data-metric="${metric}"] .value`,
      );
      const text = (await cell.count()) === 1
        ? (await cell.textContent())?.trim()
        : undefined;
      checked++;
      if (text !== expected) {
        problems.push(`${model} ${metric}: page "${text}", files ${expected}`);
      }
    }
  }
  return {
    name,
    ok: problems.length === 0,
    detail: problems.length === 0
      ? `${checked} cells of ${names.join(", ")}`
      : problems.slice(0, 4).join("; "),
  };
}

/** The summary table's accuracy cells against `metrics.json`. */
async function checkSummary(
  page: Page,
  model: ModelName,
  metrics: ModelMetrics,
): Promise<CheckResult> {
  const wanted: [string, number][] = [
    ["noisy-accuracy", metrics.test.noisy.accuracy],
    ["clean-accuracy", metrics.test.clean.accuracy],
  ];
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [metric, value] of wanted) {
    const cell = page.locator(
      `table.summary td[data-model="${model}"][data-metric="${metric}"] .value`,
    );
    const text = (await cell.count()) === 1
      ? (await cell.textContent())?.trim()
      : undefined;
    const expected = formatPercent(value);
    seen.push(`${metric} ${text ?? "missing"}`);
    if (text !== expected) {
      problems.push(`${metric}: page "${text}", metrics.json ${expected}`);
    }
  }
  return {
    name: `summary table matches ${model}/metrics.json`,
    ok: problems.length === 0,
    detail: problems.length === 0 ? seen.join(", ") : problems.join("; "),
  };
}

if (import.meta.main) {
  const options = JSON.parse(Deno.args[0]) as ResolvedCheckOptions;
  const results = await runBrowserChecks(options);
  console.log(JSON.stringify(results));
}

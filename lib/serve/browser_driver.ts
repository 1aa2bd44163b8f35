/**
 * The playwright-core half of the web app's browser check, run by
 * `checkServeInBrowser` in a child `deno run -A` process (playwright-core
 * needs `--allow-all` to load; see lib/report/browser_check.ts). Takes
 * {@link DriverOptions} as one JSON argument, drives the page with real
 * mouse events, and prints a {@link DriverReport} as one JSON line.
 *
 * @module
 */

import { chromium, type Page } from "playwright-core";
import { type CheckResult, CHROMIUM_ARGS } from "../report/mod.ts";
import type { PageApi } from "./page.ts";

/** What the driver is told. */
export interface DriverOptions {
  /** The page, `http://localhost:<port>/`. */
  url: string;
  /** The Chromium binary. */
  executablePath: string;
  /** Where to save the screenshot (PNG). */
  screenshotPath: string;
  /** Per-action timeout in milliseconds. */
  timeoutMs: number;
  /** Noisy test digits to show, by index. */
  indices: number[];
}

/** A digit drawn on the pad, and what the page made of it. */
export interface Drawing {
  /** `one` (a vertical line) or `zero` (a circle). */
  name: string;
  /** Each model's ten probabilities, read from the bars on the page. */
  shown: Record<string, number[]>;
  /** The 28×28 input the page computed. */
  input: number[];
  /** The pad's RGBA pixels. */
  pad: { width: number; height: number; data: number[] };
}

/** What the driver saw. */
export interface DriverReport {
  /** Checks decided in the browser (loads, live updates, offline…). */
  results: CheckResult[];
  /** The two drawings. */
  drawings: Drawing[];
  /** The test digits shown: labels and bars per model, index-aligned. */
  digits: { labels: number[]; shown: Record<string, number[][]> };
}

/** The page's globals the checks read (Deno's types have no DOM). */
interface PageGlobals {
  noisyMnist?: PageApi;
  document: {
    querySelectorAll(selector: string): ArrayLike<{
      getAttribute(name: string): string | null;
      textContent: string | null;
    }>;
    querySelector(selector: string): { textContent: string | null } | null;
  };
}

/** The probabilities the bars show, per model (empty when none). */
function readBars(): Record<string, number[]> {
  const { document } = globalThis as unknown as PageGlobals;
  const out: Record<string, number[]> = {};
  for (const figure of Array.from(document.querySelectorAll("figure.chart"))) {
    const model = figure.getAttribute("data-model") ?? "";
    const bars = Array.from(
      document.querySelectorAll(`figure.chart[data-model="${model}"] .bar`),
    );
    const values = bars.map((bar) => bar.getAttribute("data-probability"));
    if (values.every((v) => v !== null && v !== "")) {
      out[model] = values.map(Number);
    }
  }
  return out;
}

async function updates(page: Page): Promise<number> {
  return await page.evaluate(() =>
    (globalThis as unknown as PageGlobals).noisyMnist!.updates
  );
}

async function waitForUpdate(page: Page, after: number): Promise<void> {
  await page.waitForFunction(
    (n) => (globalThis as unknown as PageGlobals).noisyMnist!.updates > n,
    after,
  );
}

/** Draw a stroke through `points` (pad fractions) with the mouse. */
async function stroke(
  page: Page,
  points: [number, number][],
  midway?: (updatesBefore: number) => Promise<void>,
): Promise<void> {
  const box = (await page.locator("#pad").boundingBox())!;
  const at = ([fx, fy]: [number, number]) =>
    [box.x + fx * box.width, box.y + fy * box.height] as const;
  const start = await updates(page);
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const [i, p] of points.entries()) {
    await page.mouse.move(...at(p), { steps: 2 });
    if (midway && i === Math.floor(points.length / 2)) await midway(start);
  }
  const before = await updates(page);
  await page.mouse.up();
  await waitForUpdate(page, before);
}

async function drawing(page: Page, name: string): Promise<Drawing> {
  const shown = await page.evaluate(readBars);
  const input = await page.evaluate(() =>
    (globalThis as unknown as PageGlobals).noisyMnist!.input()
  );
  const pad = await page.evaluate(() =>
    (globalThis as unknown as PageGlobals).noisyMnist!.padImage()
  );
  return { name, shown, input, pad };
}

/** Run every step in one browser session. */
export async function driveApp(options: DriverOptions): Promise<DriverReport> {
  const results: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) =>
    results.push({ name, ok, detail });
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1180, height: 640 },
    });
    page.setDefaultTimeout(options.timeoutMs);
    const consoleErrors: string[] = [];
    const outside: string[] = [];
    const failed: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("response", (response) => {
      if (response.status() >= 400) {
        failed.push(`${response.status()} ${response.url()}`);
      }
    });
    const origin = new URL(options.url).origin;
    await page.route("**/*", (route) => {
      const target = route.request().url();
      if (new URL(target).origin === origin) return route.continue();
      outside.push(target);
      return route.abort();
    });

    await page.goto(options.url, { waitUntil: "load" });
    await page.waitForFunction(() => {
      const app = (globalThis as unknown as PageGlobals).noisyMnist;
      return app !== undefined && (app.ready || app.error !== undefined);
    });
    const { error, backend } = await page.evaluate(() => {
      const app = (globalThis as unknown as PageGlobals).noisyMnist!;
      return { error: app.error, backend: app.backend };
    });
    const charts = await page.locator("figure.chart").count();
    add(
      "page loads its models",
      error === undefined && charts > 0,
      error ?? `${await page.title()}: ${charts} charts, tfjs on ${backend}`,
    );

    // A "1": one vertical stroke. Predictions must appear while drawing.
    let live = false;
    await stroke(
      page,
      Array.from({ length: 24 }, (_, i) => [0.5, 0.15 + 0.7 * i / 23]),
      async (start) => {
        await waitForUpdate(page, start);
        live = Object.keys(await page.evaluate(readBars)).length === charts;
      },
    );
    add(
      "predictions update while drawing",
      live,
      live ? "bars shown mid-stroke" : "no bars before the stroke ended",
    );
    const one = await drawing(page, "one");

    let before = await updates(page);
    await page.click("#clear");
    await waitForUpdate(page, before);
    const cleared = await page.evaluate(readBars);
    add(
      "clear empties the pad and the bars",
      Object.keys(cleared).length === 0,
      `${Object.keys(cleared).length} charts still show bars`,
    );

    before = await updates(page);
    await page.click("#random");
    await waitForUpdate(page, before);
    const caption = await page.locator("#caption").textContent();
    const truth = await page.locator(".bar.truth").count();
    add(
      "random test digit shows one with its label",
      /Noisy test digit #\d+ \(label \d\)/.test(caption ?? "") &&
        truth === charts,
      `${caption?.trim()}; label marked in ${truth} charts`,
    );

    const digits = await page.evaluate(async (indices) => {
      const app = (globalThis as unknown as PageGlobals).noisyMnist!;
      const labels: number[] = [];
      const shown: Record<string, number[][]> = {};
      for (const index of indices) {
        labels.push(await app.showTestDigit(index));
        // readBars, inlined: functions do not cross into the page.
        const { document } = globalThis as unknown as PageGlobals;
        for (
          const figure of Array.from(document.querySelectorAll("figure.chart"))
        ) {
          const model = figure.getAttribute("data-model") ?? "";
          const bars = Array.from(
            document.querySelectorAll(
              `figure.chart[data-model="${model}"] .bar`,
            ),
          );
          (shown[model] ??= []).push(
            bars.map((bar) => Number(bar.getAttribute("data-probability"))),
          );
        }
      }
      return { labels, shown };
    }, options.indices);

    // A "0": one round stroke, started on a clean pad.
    before = await updates(page);
    await page.click("#clear");
    await waitForUpdate(page, before);
    await stroke(
      page,
      Array.from({ length: 41 }, (_, i) => {
        const angle = -Math.PI / 2 + 2 * Math.PI * i / 40;
        return [0.5 + 0.25 * Math.cos(angle), 0.5 + 0.33 * Math.sin(angle)];
      }),
    );
    const zero = await drawing(page, "zero");

    await page.screenshot({ path: options.screenshotPath, fullPage: true });
    const shot = await Deno.stat(options.screenshotPath).catch(() => undefined);
    add(
      "screenshot saved",
      shot !== undefined && shot.size > 0,
      `${options.screenshotPath} (${shot?.size ?? 0} bytes)`,
    );
    add(
      "no request outside the server",
      outside.length === 0,
      outside.length === 0
        ? `everything from ${origin}`
        : `blocked ${outside.length}: ${outside.slice(0, 3).join(", ")}`,
    );
    add(
      "no failed requests",
      failed.length === 0,
      failed.length === 0 ? "all answered" : failed.slice(0, 3).join(", "),
    );
    add(
      "no console errors",
      consoleErrors.length === 0,
      consoleErrors.length === 0
        ? "console clean"
        : `${consoleErrors.length}: ${consoleErrors[0].split("\n")[0]}`,
    );
    return { results, drawings: [one, zero], digits };
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const options = JSON.parse(Deno.args[0]) as DriverOptions;
  console.log(JSON.stringify(await driveApp(options)));
}

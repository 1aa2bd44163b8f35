/**
 * The report checked in a real browser: open `index.html` from disk in
 * headless Chromium (driven by playwright-core) with every network request
 * refused, and check that it renders without console errors, that every
 * chart's SVG has marks, that the summary table shows the accuracies of
 * `metrics.json`, and that every image is an inline, decodable `data:`
 * URI. Saves a full-page screenshot beside the report.
 *
 * The browser is driven from a child `deno run -A` process
 * (`browser_driver.ts`): playwright-core probes `/proc/sys/fs/binfmt_misc`
 * when it is imported, which Deno allows only with `--allow-all`. The
 * caller needs `--allow-run` (plus read), which in Deno already grants as
 * much, so tests under `deno test -P` can run the check too.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  exists,
  FileSystemError,
  MissingInputError,
  NoisyMnistError,
} from "../core/mod.ts";
import { REPORT_FILES, reportDir } from "./stage.ts";

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Flags for a quiet, offline, container-friendly headless Chromium: no
 * sandbox (CI runs as root), no GPU, and none of the background services
 * that would reach the network.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** One check's outcome. */
export interface CheckResult {
  /** What was checked. */
  name: string;
  /** Whether it passed. */
  ok: boolean;
  /** The evidence, one line. */
  detail: string;
}

/** Options of {@link checkReportInBrowser}. */
export interface BrowserCheckOptions {
  /** Artifact folder: the report is `<dataDir>/report/index.html`. */
  dataDir: string;
  /** The Chromium binary (default {@link CHROMIUM_PATH}). */
  executablePath?: string;
  /** Where to save the full-page screenshot (default: beside the report). */
  screenshotPath?: string;
  /** Per-action timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** The options as the driver receives them: every field resolved. */
export type ResolvedCheckOptions = Required<BrowserCheckOptions>;

/** Format one result as a line: `ok   name: detail` or `FAIL name: detail`. */
export function formatCheck(result: CheckResult): string {
  return `${result.ok ? "ok  " : "FAIL"} ${result.name}: ${result.detail}`;
}

/**
 * Open the report in headless Chromium and check it. Throws a
 * {@link MissingInputError} when there is no report or no browser, and an
 * Error when the browser cannot be driven; otherwise returns one result
 * per check (a failed check is a result, not an exception).
 *
 * @example
 * ```ts
 * const results = await checkReportInBrowser({ dataDir: "data" });
 * for (const r of results) console.log(formatCheck(r));
 * ```
 */
export async function checkReportInBrowser(
  options: BrowserCheckOptions,
): Promise<CheckResult[]> {
  const dir = reportDir(options.dataDir);
  const htmlPath = join(dir, REPORT_FILES.html);
  const resolved: ResolvedCheckOptions = {
    dataDir: options.dataDir,
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    screenshotPath: options.screenshotPath ??
      join(dir, REPORT_FILES.screenshot),
    timeoutMs: options.timeoutMs ?? 30_000,
  };
  if (!(await exists(htmlPath))) {
    throw new MissingInputError(
      `${htmlPath} is missing; run \`deno task report\` first`,
    );
  }
  // A folder named index.html would open as a directory listing.
  if ((await Deno.stat(htmlPath)).isDirectory) {
    throw new FileSystemError(htmlPath, "is a folder, not a file");
  }
  if (!(await exists(resolved.executablePath))) {
    throw new MissingInputError(
      `${resolved.executablePath} is missing; install it with \`apt-get install -y chromium\``,
    );
  }
  return await runBrowserDriver<CheckResult[]>(
    new URL("./browser_driver.ts", import.meta.url),
    resolved,
  );
}

/**
 * Run a playwright-core driver script (`driver`, a module taking its
 * options as one JSON argument) in its own Deno process with the project's
 * config, and parse the JSON its last stdout line holds. A driver that
 * fails, or prints nothing, is one line with its first stderr lines.
 */
export async function runBrowserDriver<T>(
  driver: URL,
  options: unknown,
): Promise<T> {
  const config = new URL("../../deno.json", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      fileURLToPath(config),
      fileURLToPath(driver),
      JSON.stringify(options),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || stdout === "") {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new NoisyMnistError(
      `browser driver failed (exit ${output.code}): ${
        stderr.split("\n").slice(0, 5).join(" | ")
      }`,
    );
  }
  return JSON.parse(stdout.split("\n").at(-1)!) as T;
}

/**
 * The report's robustness section: with results it shows the table, the
 * small multiples and the corruption samples in HTML and Markdown; without
 * results it says which task makes them; results computed before a model
 * was retrained show as stale (numbers withheld, the refresh command
 * named); a results.json edited after the stage wrote it is refused; new
 * results rebuild the report; and the page passes the browser check.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../lib/core/errors.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import {
  checkReportInBrowser,
  CHROMIUM_PATH,
  formatCheck,
} from "../lib/report/browser_check.ts";
import { digitPng } from "../lib/report/digits.ts";
import { formatPercent } from "../lib/report/format.ts";
import { runReportStage } from "../lib/report/stage.ts";
import {
  corruptionByName,
  CORRUPTIONS,
  corruptSplit,
  type RobustnessResults,
} from "../lib/robustness/mod.ts";
import { takeFirst } from "../lib/data/mnist.ts";
import { writeReportFixture } from "./fixtures_report.ts";
import {
  editRobustnessResults,
  writeRobustnessFixture,
} from "./fixtures_robustness.ts";
import { NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

const HAS_CHROMIUM = (() => {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
})();

const quiet = { onLog: () => {} };

function read(dataDir: string, name: string): Promise<string> {
  return Deno.readTextFile(join(dataDir, "report", name));
}

/** The page's robustness section, from its heading to the next section. */
function section(html: string): string {
  const match = /<h2 id="robustness">[\s\S]*?<\/section>/.exec(html);
  assert.ok(match, "the page has a robustness section");
  return match[0];
}

/** The Markdown's robustness section. */
function sectionMd(markdown: string): string {
  const match = /## 6\. Robustness\n[\s\S]*?(?=\n## 7\. )/.exec(markdown);
  assert.ok(match, "report.md has a robustness section");
  return match[0];
}

/** Chart blocks by id. */
function chartBlocks(html: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern =
    /<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g;
  for (const match of html.matchAll(pattern)) blocks.set(match[1], match[2]);
  return blocks;
}

function cellText(html: string, model: string, metric: string): string {
  const match = new RegExp(
    `<table class="summary robustness">[\\s\\S]*?<td data-model="${model}" data-metric="${metric}"><span class="value">([^<]*)</span>`,
  ).exec(html);
  return match?.[1] ?? "missing";
}

function modelOf(results: RobustnessResults, name: string) {
  const m = results.models.find((x) => x.model === name);
  assert.ok(m, name);
  return m;
}

Deno.test(
  "report robustness: results show as a table, small multiples and samples in HTML and Markdown",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      const results = await writeRobustnessFixture(dir);
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
      const html = await read(dir, "index.html");
      const part = section(html);
      assert.match(part, /data-status="fresh"/);

      // The table: MNIST-C accuracy, mCE, relative mCE, clean and noisy.
      for (const name of ["dense", "cnn"]) {
        const m = modelOf(results, name);
        assert.equal(
          cellText(part, name, "mnist-c-accuracy"),
          formatPercent(m.mnistCAccuracy),
        );
        assert.equal(cellText(part, name, "mce"), formatPercent(m.mCE, 1));
        assert.equal(
          cellText(part, name, "relative-mce"),
          formatPercent(m.relativeMCE, 1),
        );
        assert.equal(
          cellText(part, name, "clean"),
          formatPercent(m.clean.accuracy),
        );
        assert.equal(
          cellText(part, name, "noisy"),
          formatPercent(m.noisy.accuracy),
        );
      }
      assert.equal(cellText(part, "dense", "mce"), "100.0 %");
      assert.match(part, /normalises by AlexNet/);
      assert.match(part, /lower is better/);

      // Charts: MNIST-C's fifteen panels in MNIST-C's order; the extras
      // apart. Each panel has a header with the corruption's name.
      const charts = chartBlocks(part);
      assert.deepEqual([...charts.keys()], [
        "robustness-mnist-c",
        "robustness-extra",
      ]);
      const mnistC = CORRUPTIONS.filter((c) => c.group === "mnist-c").map((
        c,
      ) => c.name);
      const extras = CORRUPTIONS.filter((c) => c.group === "extra").map((c) =>
        c.name
      );
      for (const [id, block] of charts) {
        assert.match(
          block,
          /class="mark-line[^"]*role-mark[^"]*"[^>]*>\s*<path\b/,
          `${id} has lines`,
        );
        assert.match(
          block,
          /class="mark-rule[^"]*role-mark[^"]*"[^>]*>\s*<line\b/,
          `${id} has clean-accuracy rules`,
        );
      }
      const mnistCText = charts.get("robustness-mnist-c")!;
      const positions = mnistC.map((n) => mnistCText.indexOf(`>${n}<`));
      assert.ok(positions.every((p) => p >= 0), `panels ${positions}`);
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
      for (const n of extras) {
        assert.ok(!mnistCText.includes(`>${n}<`), `${n} kept apart`);
        assert.ok(charts.get("robustness-extra")!.includes(`>${n}<`), n);
      }

      // Samples: the clean digit, then every corruption at its default
      // severity, made with the benchmark's code and the results' seed.
      const samples = [...part.matchAll(
        /<figure class="digit corruption" data-corruption="([^"]+)">\s*<img src="data:image\/png;base64,/g,
      )].map((m) => m[1]);
      assert.deepEqual(samples, [
        "identity",
        ...CORRUPTIONS.map((c) => c.name),
      ]);
      const clean = takeFirst(await loadMnist(join(dir, "mnist"), "test"), 1);
      for (const c of CORRUPTIONS) {
        const expected = digitPng(
          corruptSplit(
            clean,
            corruptionByName(c.name),
            c.defaultSeverity,
            results.seed,
          ),
          0,
        );
        const written = await Deno.readFile(
          join(dir, "report", "figures", "robustness", `${c.name}.png`),
        );
        assert.deepEqual(written, expected, c.name);
      }

      // Markdown: the same table, the charts and samples as files.
      const markdown = sectionMd(await read(dir, "report.md"));
      const cnn = modelOf(results, "cnn");
      assert.ok(
        markdown.includes(
          `| mCE (lower is better) | 100.0 % | ${formatPercent(cnn.mCE, 1)} |`,
        ),
        markdown,
      );
      assert.ok(
        markdown.includes(
          `| MNIST-C accuracy (default severities) | ${
            formatPercent(modelOf(results, "dense").mnistCAccuracy)
          }`,
        ),
      );
      const figures = [...markdown.matchAll(/\]\((figures\/[^)\s]+)\)/g)].map((
        m,
      ) => m[1]);
      assert.ok(figures.includes("figures/robustness-mnist-c.svg"));
      assert.ok(figures.includes("figures/robustness-extra.svg"));
      assert.ok(figures.includes("figures/robustness/fog.png"));
      for (const figure of figures) {
        const stat = await Deno.stat(join(dir, "report", figure));
        assert.ok(stat.isFile && stat.size > 0, figure);
      }
      assert.match(markdown, /`gaussian_noise` \(extra\) s/);
    });
  },
);

Deno.test(
  "report robustness: without results the section says how to get them; new results rebuild the report",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
      const part = section(await read(dir, "index.html"));
      assert.match(part, /data-status="absent"/);
      assert.match(part, /Run <code>deno task robustness<\/code>/);
      assert.equal(chartBlocks(part).size, 0);
      assert.doesNotMatch(part, /<table/);
      assert.match(
        sectionMd(await read(dir, "report.md")),
        /Run `deno task robustness`/,
      );

      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "up to date",
      );
      await writeRobustnessFixture(dir);
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
        "adding results rebuilds the report",
      );
      assert.match(
        section(await read(dir, "index.html")),
        /data-status="fresh"/,
      );
      // A rerun of the robustness stage (new results and manifest, same
      // models and digits) rebuilds it too.
      await editRobustnessResults(dir, (r) => {
        r.models[1].mCE = 0.4321;
      }, true);
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
        "new results rebuild the report",
      );
      assert.equal(
        cellText(section(await read(dir, "index.html")), "cnn", "mce"),
        "43.2 %",
      );
    });
  },
);

const STALE_LINE =
  /are stale \(([^)]*)\), so their numbers are not shown: run <code>deno task robustness --force<\/code>/;

Deno.test(
  "report robustness: results from before a model was retrained show as stale, numbers withheld",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      const results = await writeRobustnessFixture(dir);
      await runReportStage({ dataDir: dir, ...quiet });
      // Retraining the CNN rewrites its manifest.
      const manifest = join(dir, "models", "cnn", "manifest.json");
      const text = await Deno.readTextFile(manifest);
      await Deno.writeTextFile(manifest, text.replace("01:00:00", "02:00:00"));
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
      const html = await read(dir, "index.html");
      const part = section(html);
      assert.match(part, /data-status="stale"/);
      assert.equal(
        STALE_LINE.exec(part)?.[1],
        "the CNN model was retrained since",
      );
      // Also at the top of the page, and in the Markdown.
      assert.match(
        html,
        new RegExp(`class="notice"[^>]*>[^<]*${"The robustness results"}`),
      );
      assert.equal(chartBlocks(part).size, 0);
      assert.ok(
        !part.includes(formatPercent(modelOf(results, "cnn").mCE, 1)),
        "no stale mCE",
      );
      assert.match(
        sectionMd(await read(dir, "report.md")),
        /> \*\*Stale:\*\* .*run `deno task robustness --force`/,
      );
    });
  },
);

Deno.test(
  "report robustness: results whose model hash disagrees with the model's manifest are stale",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await writeRobustnessFixture(dir);
      // The stage's manifest vouches for results.json, but results.json
      // says the dense net it evaluated had another manifest.
      await editRobustnessResults(dir, (r) => {
        r.models[0].manifestSha256 = "f".repeat(64);
      }, true);
      await runReportStage({ dataDir: dir, ...quiet });
      const part = section(await read(dir, "index.html"));
      assert.equal(
        STALE_LINE.exec(part)?.[1],
        "the Dense model was retrained since",
      );
      // Results for the CNN only, with the dense net trained: stale too.
      await writeRobustnessFixture(dir, { models: ["cnn"] });
      await runReportStage({ dataDir: dir, ...quiet });
      assert.equal(
        STALE_LINE.exec(section(await read(dir, "index.html")))?.[1],
        "the Dense model was trained since",
      );
    });
  },
);

Deno.test(
  "report robustness: an edited results.json is refused, naming the task to rerun",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await writeRobustnessFixture(dir);
      await editRobustnessResults(dir, (r) => {
        r.models[1].mCE = 0.01;
      }, false);
      const path = join(dir, "robustness", "results.json");
      await assert.rejects(
        runReportStage({ dataDir: dir, ...quiet }),
        (error: unknown) =>
          error instanceof DataError &&
          error.message ===
            `${path} does not match robustness/manifest.json (edited or left by an interrupted run); run \`deno task robustness --force\``,
      );
      // Vouched for but malformed: refused by the shape check.
      await editRobustnessResults(dir, (r) => {
        r.models[1].corruptions.fog = [];
      }, true);
      await assert.rejects(
        runReportStage({ dataDir: dir, ...quiet }),
        (error: unknown) =>
          error instanceof DataError &&
          error.message.startsWith(`${path}: `) &&
          error.message.includes("fog") &&
          error.message.endsWith("run `deno task robustness --force`") &&
          !error.message.includes("\n"),
      );
      assert.equal(
        await Deno.stat(join(dir, "report", "index.html")).catch(() => null),
        null,
        "no report shows the edited numbers",
      );
    });
  },
);

Deno.test({
  name: "report robustness: the page with the section passes the browser check",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await writeRobustnessFixture(dir);
      await runReportStage({ dataDir: dir, ...quiet });
      const results = await checkReportInBrowser({ dataDir: dir });
      const failed = results.filter((r) => !r.ok).map(formatCheck);
      assert.deepEqual(failed, []);
      const names = results.map((r) => r.name);
      assert.ok(
        names.includes("chart robustness-mnist-c has marks"),
        `${names}`,
      );
      assert.ok(names.includes("chart robustness-extra has marks"));
      assert.ok(
        names.includes("robustness table matches robustness/results.json"),
        `${names}`,
      );
      const shot = Deno.env.get("ROBUSTNESS_SCREENSHOT");
      if (shot) {
        await Deno.copyFile(join(dir, "report", "screenshot.png"), shot);
      }
    });
  },
});

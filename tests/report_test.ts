/**
 * The report stage on a synthetic fixture: it builds, the page is
 * self-contained, charts have marks, the Markdown's figures exist, the
 * summary shows the fixture's numbers, missing models are named, nothing
 * to report is refused, a second run is up to date, and (where Chromium
 * is installed) the page passes the browser check.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError, MissingInputError } from "../lib/core/errors.ts";
import { sha256File } from "../lib/core/hash.ts";
import {
  checkReportInBrowser,
  CHROMIUM_PATH,
  formatCheck,
} from "../lib/report/browser_check.ts";
import { namespaceSvgIds } from "../lib/report/charts.ts";
import { enlargeGray } from "../lib/core/mod.ts";
import { confidentMistakes, wrongButRight } from "../lib/report/failures.ts";
import { formatPercent } from "../lib/report/format.ts";
import { inlineHtml } from "../lib/report/markup.ts";
import { runReportStage } from "../lib/report/stage.ts";
import { mcnemar, topConfusions } from "../lib/report/stats.ts";
import { wilsonInterval } from "../lib/evaluate/mod.ts";
import { writeReportFixture } from "./fixtures_report.ts";
import { NEEDS_PERMISSIONS, runScript, withTempDir } from "./helpers.ts";

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

/** The `<figure class="chart">` blocks of a page, by chart id. */
function chartBlocks(html: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern =
    /<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g;
  for (const match of html.matchAll(pattern)) blocks.set(match[1], match[2]);
  return blocks;
}

Deno.test(
  "report: builds a self-contained page, Markdown and figures",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const fixture = await writeReportFixture(dir);
      const result = await runReportStage({ dataDir: dir, ...quiet });
      assert.equal(result.status, "built");
      const html = await read(dir, "index.html");

      // Self-contained: nothing loaded from elsewhere.
      assert.doesNotMatch(html, /src="https?:/);
      assert.doesNotMatch(html, /<script\b[^>]*\bsrc=/);
      assert.doesNotMatch(html, /<link\b[^>]*\bhref=/);
      assert.doesNotMatch(html, /@import|url\(\s*["']?https?:/);
      const images = [...html.matchAll(/<img\b[^>]*\bsrc="([^"]*)"/g)];
      assert.ok(images.length > 0, "the page shows images");
      for (const [, src] of images) {
        assert.match(src, /^data:image\/png;base64,/);
      }

      // Every chart is an inline SVG with marks (Vega tags its marks
      // `role-mark`; axes and legends are other roles).
      const charts = chartBlocks(html);
      assert.deepEqual([...charts.keys()].sort(), [
        "accuracy",
        "confusion-cnn",
        "confusion-dense",
        "learning-curves",
        "learning-rate",
        "per-class",
      ]);
      for (const [id, block] of charts) {
        assert.match(block, /<svg\b/, `${id} is an svg`);
        assert.match(
          block,
          /class="mark-(rect|line|symbol|text|rule)[^"]*role-mark[^"]*"[^>]*>\s*<(path|text|line)\b/,
          `${id} has marks`,
        );
      }

      // The summary table shows the fixture's accuracies, formatted as on
      // the page.
      for (const model of ["dense", "cnn"] as const) {
        const metrics = fixture.metrics[model]!;
        for (
          const [key, value] of [
            ["noisy-accuracy", metrics.test.noisy.accuracy],
            ["clean-accuracy", metrics.test.clean.accuracy],
          ] as const
        ) {
          const cell = new RegExp(
            `<td data-model="${model}" data-metric="${key}"><span class="value">([^<]*)</span>`,
          ).exec(html);
          assert.equal(cell?.[1], formatPercent(value), `${model} ${key}`);
        }
      }
      assert.match(html, /82\.09 %/);
      assert.match(html, /96\.73 %/);

      // report.md references figure files that exist.
      const markdown = await read(dir, "report.md");
      const figures = [...markdown.matchAll(/\]\((figures\/[^)\s]+)\)/g)].map((
        m,
      ) => m[1]);
      assert.ok(figures.some((f) => f.endsWith(".svg")), "charts as SVG files");
      assert.ok(figures.some((f) => f.endsWith(".png")), "digits as PNG files");
      for (const figure of figures) {
        const stat = await Deno.stat(join(dir, "report", figure));
        assert.ok(stat.isFile && stat.size > 0, figure);
      }
      assert.match(markdown, /\| Accuracy, noisy test \|/);

      // Validation is compared with the epoch whose weights were tested:
      // the CNN restores its best (7 of 12), the dense net keeps its last.
      assert.match(
        markdown,
        /Dense: validation accuracy of the tested weights \(epoch 15, the last:/,
      );
      assert.match(
        markdown,
        /CNN: validation accuracy of the tested weights \(epoch 7, the best:/,
      );
      assert.match(
        markdown,
        /CNN was allowed up to 30 epochs \(the study: 15\) and ran 12\./,
      );
    });
  },
);

Deno.test(
  "report: a second run is up to date; --force and new inputs rebuild",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "up to date",
      );
      assert.equal(
        (await runReportStage({ dataDir: dir, force: true, ...quiet })).status,
        "built",
      );
      // Retraining a model rewrites its manifest: the report is stale.
      const manifest = join(dir, "models", "cnn", "manifest.json");
      const text = await Deno.readTextFile(manifest);
      await Deno.writeTextFile(manifest, text.replace("01:00:00", "02:00:00"));
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
    });
  },
);

Deno.test(
  "report: refuses a model file edited after training, naming the task to rerun",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      const path = join(dir, "models", "cnn", "metrics.json");
      const metrics = JSON.parse(await Deno.readTextFile(path));
      metrics.test.noisy.accuracy = 0.9999;
      await Deno.writeTextFile(path, JSON.stringify(metrics, null, 2) + "\n");
      await assert.rejects(
        runReportStage({ dataDir: dir, ...quiet }),
        (error: unknown) =>
          error instanceof DataError &&
          error.message ===
            `${path} does not match models/cnn/manifest.json (edited or left by an interrupted run); run \`deno task train:cnn --force\``,
      );
      assert.equal(
        await Deno.stat(join(dir, "report", "index.html")).catch(() => null),
        null,
        "no report shows the edited number",
      );
    });
  },
);

Deno.test(
  "report: predictions outside 0–9 are a data error",
  NEEDS_PERMISSIONS,
  async () => {
    for (const bad of [10, -1, 2.5]) {
      await withTempDir(async (dir) => {
        await writeReportFixture(dir);
        const modelDir = join(dir, "models", "dense");
        const path = join(modelDir, "predictions.json");
        const predictions = JSON.parse(await Deno.readTextFile(path));
        predictions.noisy.predicted[3] = bad;
        await Deno.writeTextFile(path, JSON.stringify(predictions));
        // The manifest vouches for the file: only the range check can tell.
        const manifestPath = join(modelDir, "manifest.json");
        const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
        manifest.outputs["predictions.json"] = await sha256File(path);
        await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
        await assert.rejects(
          runReportStage({ dataDir: dir, ...quiet }),
          (error: unknown) =>
            error instanceof DataError &&
            error.message.startsWith(`${path}: `) &&
            error.message.includes(`${bad}`) &&
            error.message.includes("0–9") &&
            error.message.endsWith("run `deno task train:dense --force`") &&
            !error.message.includes("\n"),
          `predicted ${bad}`,
        );
      });
    }
  },
);

Deno.test(
  "report: with only the CNN it names the missing dense net",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir, { models: ["cnn"] });
      const logs: string[] = [];
      const result = await runReportStage({
        dataDir: dir,
        onLog: (line) => logs.push(line),
      });
      assert.equal(result.status, "built");
      if (result.status === "built") {
        assert.deepEqual(result.missing, ["dense"]);
      }
      assert.ok(logs.some((l) => l.includes("deno task train:dense")));
      const html = await read(dir, "index.html");
      assert.match(html, /<strong>Dense<\/strong> model is not trained yet/);
      assert.match(html, /<code>deno task train:dense<\/code>/);
      assert.equal(chartBlocks(html).has("confusion-dense"), false);
      assert.equal(chartBlocks(html).has("confusion-cnn"), true);
      const markdown = await read(dir, "report.md");
      assert.match(markdown, /`deno task train:dense`/);
    });
  },
);

Deno.test(
  "report: refuses when there is nothing to report",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      // No noisy dataset at all.
      await assert.rejects(
        runReportStage({ dataDir: dir, ...quiet }),
        (error: unknown) =>
          error instanceof MissingInputError &&
          error.message.includes("deno task augment") &&
          !error.message.includes("\n"),
      );
      // A dataset but no model.
      await writeReportFixture(dir, { models: [] });
      await assert.rejects(
        runReportStage({ dataDir: dir, ...quiet }),
        (error: unknown) =>
          error instanceof MissingInputError &&
          error.message.includes("`deno task train:cnn`") &&
          !error.message.includes("\n"),
      );
    });
  },
);

Deno.test(
  "report script: one line, exit 1 when refused, 0 and up to date after",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const run = async () => {
        const output = await runScript("report", ["--data-dir", dir]);
        return { code: output.code, stderr: output.stderr.trim() };
      };
      await writeReportFixture(dir, { models: [] });
      const refused = await run();
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.split("\n").length, 1, refused.stderr);
      assert.match(refused.stderr, /^error: nothing to report: .*train:cnn/);

      await writeReportFixture(dir, { models: ["dense", "cnn"] });
      assert.equal((await run()).code, 0);
      const again = await run();
      assert.equal(again.code, 0);
      assert.equal(again.stderr, "report: up to date");
    });
  },
);

Deno.test({
  name: "report: passes the browser check in headless Chromium",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await runReportStage({ dataDir: dir, ...quiet });
      const results = await checkReportInBrowser({ dataDir: dir });
      const failed = results.filter((r) => !r.ok).map(formatCheck);
      assert.deepEqual(failed, []);
      assert.ok(results.length >= 10);
      const shot = await Deno.stat(join(dir, "report", "screenshot.png"));
      assert.ok(shot.size > 0);
    });
  },
});

Deno.test("report helpers: statistics, selections, markup, pixels", () => {
  const ci = wilsonInterval(9673, 10000);
  assert.ok(ci.low > 0.963 && ci.low < 0.964, `low ${ci.low}`);
  assert.ok(ci.high > 0.970 && ci.high < 0.971, `high ${ci.high}`);
  assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });

  const labels = [0, 1, 2, 3, 4];
  const test = mcnemar(labels, [0, 0, 0, 3, 4], [0, 1, 2, 3, 0]);
  assert.equal(test.onlyARight, 1);
  assert.equal(test.onlyBRight, 2);
  assert.ok(test.p > 0.5);

  const a = { predicted: [0, 0, 0, 3, 4], confidence: [1, 0.6, 0.9, 1, 1] };
  const b = { predicted: [0, 1, 2, 3, 0], confidence: [1, 0.8, 0.7, 1, 0.5] };
  const mistakes = confidentMistakes(labels, a, 1);
  assert.equal(mistakes.total, 2);
  assert.deepEqual(mistakes.items, [
    { index: 2, label: 2, predicted: 0, confidence: 0.9 },
  ]);
  const fixed = wrongButRight(labels, a, b, 10);
  assert.deepEqual(fixed.items.map((m) => m.index), [2, 1]);
  assert.deepEqual(fixed.rightConfidence, [0.7, 0.8]);

  assert.deepEqual(topConfusions([[5, 2], [3, 1]], 5), [
    { actual: 1, predicted: 0, count: 3 },
    { actual: 0, predicted: 1, count: 2 },
  ]);
  assert.equal(
    inlineHtml("run `a<b` **now**"),
    "run <code>a&lt;b</code> <strong>now</strong>",
  );
  assert.equal(
    namespaceSvgIds('<clipPath id="c1"/><g clip-path="url(#c1)"/>', "x"),
    '<clipPath id="x-c1"/><g clip-path="url(#x-c1)"/>',
  );
  assert.deepEqual(
    Array.from(
      enlargeGray({ width: 2, height: 2, pixels: Uint8Array.of(1, 2, 3, 4) }, 2)
        .pixels,
    ),
    [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
  );
});

Deno.test(
  "report: a third trained model is compared in 'All trained models'; absent without",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await runReportStage({ dataDir: dir, ...quiet });
      const twoHtml = await read(dir, "index.html");
      const twoMd = await read(dir, "report.md");
      assert.doesNotMatch(twoHtml, /all-models/);
      assert.doesNotMatch(twoMd, /All trained models|Also trained/);

      const fixture = await writeReportFixture(dir, {
        models: ["dense", "cnn", "cnn-robust"],
      });
      const result = await runReportStage({ dataDir: dir, ...quiet });
      assert.equal(result.status, "built");
      const html = await read(dir, "index.html");
      const md = await read(dir, "report.md");
      const robust = fixture.metrics["cnn-robust"]!;
      const noisy = formatPercent(robust.test.noisy.accuracy);
      const clean = formatPercent(robust.test.clean.accuracy);
      for (
        const [model, metric, text] of [
          ["cnn-robust", "all-noisy", noisy],
          ["cnn-robust", "all-clean", clean],
          [
            "cnn",
            "all-noisy",
            formatPercent(fixture.metrics.cnn!.test.noisy.accuracy),
          ],
          [
            "dense",
            "all-noisy",
            formatPercent(fixture.metrics.dense!.test.noisy.accuracy),
          ],
        ]
      ) {
        const cell = new RegExp(
          `<td[^>]*data-model="${model}"[^>]*data-metric="${metric}"[^>]*><span class="value">${text}</span>`,
        );
        assert.match(html, cell, `${model} ${metric} shows ${text}`);
      }
      assert.match(md, /\| Metric \| Dense \| CNN \| CNN robust \|/);
      assert.match(
        md,
        new RegExp(`\\| Accuracy, noisy test \\| [^\\n]*${noisy}`),
      );
      assert.match(md, /Also trained, \*\*CNN robust\*\*/);
      assert.ok(chartBlocks(html).has("all-models"));
      // The study's summary table keeps its two columns.
      const summary = html.match(/<table class="summary">[^]*?<\/table>/);
      assert.ok(summary);
      assert.doesNotMatch(summary[0], /cnn-robust/);
    });
  },
);

Deno.test(
  "report: robust models without either study model are refused in one line, not a crash",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir, { models: ["cnn-robust"] });
      await assert.rejects(
        () => runReportStage({ dataDir: dir, ...quiet }),
        (error) =>
          error instanceof MissingInputError &&
          /neither study model is trained.*train:cnn/.test(error.message),
      );
    });
  },
);

import assert from "node:assert/strict";
import { join } from "node:path";
import { runStage, writeJsonAtomic } from "../lib/core/mod.ts";
import { runReportStage } from "../lib/report/stage.ts";
import {
  makePlan,
  type RunEvaluation,
  STUDY_DIR,
  STUDY_FILES,
  summarizeStudy,
} from "../lib/study/mod.ts";
import { writeReportFixture } from "./fixtures_report.ts";
import { NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

const quiet = { onLog: () => {} };

const read = (dir: string, file: string) =>
  Deno.readTextFile(join(dir, "report", file));

function evaluation(
  recipe: string,
  seed: number,
  noisy: number,
): RunEvaluation {
  return {
    recipe,
    seed,
    limit: null,
    epochs: null,
    noisy,
    clean: noisy + 0.01,
    mnistC: noisy - 0.3,
    corruptions: {},
    images: 10000,
  };
}

/** A study summary with its manifest, as `deno task study` leaves it. */
async function writeStudy(dataDir: string): Promise<void> {
  const summary = summarizeStudy(makePlan([42, 1, 2], ["dense", "cnn"]), [
    evaluation("dense", 42, 0.82),
    evaluation("dense", 1, 0.825),
    evaluation("dense", 2, 0.815),
    evaluation("cnn", 42, 0.971),
    evaluation("cnn", 1, 0.973),
    evaluation("cnn", 2, 0.969),
  ], { dense: 0.8209, cnn: 0.9673 });
  const dir = join(dataDir, STUDY_DIR);
  await runStage({
    stage: "study",
    dir,
    params: {},
    work: async () => {
      await writeJsonAtomic(join(dir, STUDY_FILES.summary), summary);
      return { status: "done", outputs: [STUDY_FILES.summary], value: null };
    },
  });
}

Deno.test(
  "report across seeds: absent without a study; with one, a section, charts and a mean ± interval headline",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      await runReportStage({ dataDir: dir, ...quiet });
      const before = await read(dir, "index.html");
      const beforeMd = await read(dir, "report.md");
      assert.doesNotMatch(before, /Across seeds/);
      assert.doesNotMatch(beforeMd, /Across seeds/);

      await writeStudy(dir);
      // The new input rebuilds the report.
      assert.equal(
        (await runReportStage({ dataDir: dir, ...quiet })).status,
        "built",
      );
      const html = await read(dir, "index.html");
      const md = await read(dir, "report.md");
      assert.match(html, /<h2 id="study">Across seeds<\/h2>/);
      assert.match(md, /^## Across seeds$/m);
      // cnn: 97.10 % ± t(0.975, 2)·0.002/√3 = 0.50 points.
      assert.match(html, /<td>cnn<\/td><td>3<\/td><td>97\.10 ± 0\.50 %<\/td>/);
      assert.match(md, /\| cnn \| 3 \| 97\.10 ± 0\.50 % \|/);
      // The headline quotes the interval, not one run.
      assert.match(
        md,
        /\*\*cnn\*\* over 3 seed\(s\): \*\*97\.10 ± 0\.50 %\*\*/,
      );
      // Each pair's differences on all three metrics, in one sentence.
      assert.match(
        md,
        /dense − cnn, paired by seed: noisy test −15\.10 pp \(95 % t-interval [^)]+\), clean test −15\.10 pp \([^)]+\), MNIST-C mean −15\.10 pp \([^)]+\)\./,
      );
      for (const metric of ["noisy", "clean", "mnistC"]) {
        assert.match(html, new RegExp(`data-chart="study-${metric}"`));
        await Deno.stat(join(dir, "report", "figures", `study-${metric}.svg`));
      }

      // An edited summary is refused with one line naming it (when the
      // report is built: an up-to-date report reads nothing).
      await Deno.writeTextFile(
        join(dir, STUDY_DIR, STUDY_FILES.summary),
        "{}",
      );
      await assert.rejects(
        () => runReportStage({ dataDir: dir, force: true, ...quiet }),
        /summary\.json does not match/,
      );
    });
  },
);

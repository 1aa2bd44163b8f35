import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { runAugmentStage } from "../lib/augment/stage.ts";
import { PRESETS } from "../lib/augment/mod.ts";
import { DataError } from "../lib/core/mod.ts";
import { MNIST_FILES, SPLITS } from "../lib/data/mnist.ts";
import {
  collectRuns,
  loadStudySummary,
  makePlan,
  pairedDifference,
  replaceBetweenMarkers,
  type RunEvaluation,
  runFolderName,
  runStudy,
  STUDY_FILES,
  summarizeStudy,
  TABLE_MARKERS,
  tInterval,
} from "../lib/study/mod.ts";
import {
  MNIST_DIR,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

const close = (a: number | null, b: number, tol = 1e-4) =>
  assert.ok(a !== null && Math.abs(a - b) < tol, `${a} ≉ ${b}`);

Deno.test("tInterval: [1..5] is 3 ± 1.9632 (sd 1.5811, t(0.975, 4) = 2.7764)", () => {
  const s = tInterval([1, 2, 3, 4, 5]);
  assert.equal(s.n, 5);
  close(s.mean, 3);
  close(s.sd, 1.5811);
  close(s.low, 3 - 1.9632);
  close(s.high, 3 + 1.9632);
});

Deno.test("tInterval: one value has a mean and no interval; none has nothing", () => {
  assert.deepEqual(tInterval([0.5]), {
    n: 1,
    mean: 0.5,
    sd: null,
    low: null,
    high: null,
  });
  assert.equal(tInterval([]).mean, null);
});

Deno.test("pairedDifference: differences 0.1, 0.05, 0.05 give 0.0667 ± 0.0717 (t(0.975, 2) = 4.3027)", () => {
  const d = pairedDifference([0.9, 0.8, 0.85], [0.8, 0.75, 0.8]);
  close(d.mean, 0.066667);
  close(d.sd, 0.028868);
  close(d.high! - d.mean!, 4.302653 * 0.028868 / Math.sqrt(3));
  assert.throws(() => pairedDifference([1], [1, 2]), RangeError);
});

Deno.test("runFolderName: quick runs are named apart from full runs", () => {
  assert.equal(runFolderName({ seed: 1, limit: null, epochs: null }), "seed-1");
  assert.equal(
    runFolderName({ seed: 1, limit: 500, epochs: 1 }),
    "seed-1-limit500-epochs1",
  );
  assert.equal(
    runFolderName({ seed: 42, limit: null, epochs: 15 }),
    "seed-42-epochs15",
  );
});

Deno.test("makePlan: refuses unknown recipes and repeated seeds", () => {
  assert.throws(() => makePlan([1], ["resnet"]), /unknown recipe "resnet"/);
  assert.throws(() => makePlan([1, 1], ["dense"]), /repeated seed/);
  assert.throws(() => makePlan([], ["dense"]), /at least one/);
  assert.deepEqual(makePlan([2, 1], ["cnn", "dense"], 300).recipes, [
    "cnn",
    "dense",
  ]);
});

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
    clean: noisy - 0.01,
    mnistC: noisy - 0.3,
    corruptions: {},
    images: 10000,
  };
}

Deno.test("summarizeStudy: per recipe, paired differences by seed, seeds reaching the published figure", () => {
  const plan = makePlan([42, 1, 2], ["dense", "cnn"]);
  const summary = summarizeStudy(plan, [
    evaluation("cnn", 2, 0.97),
    evaluation("dense", 42, 0.82),
    evaluation("dense", 1, 0.825),
    evaluation("dense", 2, 0.81),
    evaluation("cnn", 42, 0.965),
    evaluation("cnn", 1, 0.975),
  ], { dense: 0.8209, cnn: 0.9673 });
  const [dense, cnn] = summary.recipes;
  assert.deepEqual(dense.metrics.noisy.values, [0.82, 0.825, 0.81]);
  assert.equal(dense.seedsReachingPublished, 1);
  assert.equal(cnn.seedsReachingPublished, 2);
  close(cnn.metrics.noisy.mean, 0.97);
  const pair = summary.pairs.find((p) => p.metric === "noisy")!;
  assert.equal(pair.a, "dense");
  assert.equal(pair.b, "cnn");
  // dense − cnn by seed: −0.145, −0.15, −0.16.
  close(pair.mean, -0.151667);
  assert.equal(summary.pairs.length, 3);
  assert.throws(
    () => summarizeStudy(plan, [evaluation("dense", 42, 0.8)], {}),
    /no evaluation of dense seed 1/,
  );
});

Deno.test("replaceBetweenMarkers: replaces only between the markers; refuses without them", () => {
  const text = `# R\n${TABLE_MARKERS.start}\nold\n${TABLE_MARKERS.end}\nrest\n`;
  assert.equal(
    replaceBetweenMarkers(text, "new", "R.md"),
    `# R\n${TABLE_MARKERS.start}\nnew\n${TABLE_MARKERS.end}\nrest\n`,
  );
  assert.throws(
    () => replaceBetweenMarkers("# R\n", "new", "R.md"),
    /R\.md has no .* markers/,
  );
});

const needsMnist = { ignore: MNIST_DIR === undefined };

/** Real MNIST linked into `dataDir/mnist/` and a 400-image noisy/ set. */
async function smallDataDir(dataDir: string): Promise<void> {
  const dir = join(dataDir, "mnist");
  await Deno.mkdir(dir, { recursive: true });
  for (const split of SPLITS) {
    for (const file of Object.values(MNIST_FILES[split])) {
      await Deno.symlink(resolve(MNIST_DIR!, file), join(dir, file));
    }
  }
  await runAugmentStage({
    dataDir,
    preset: "seed",
    config: structuredClone(PRESETS.seed),
    seed: 42,
    limit: 400,
    workers: 1,
  });
}

const quick = (seeds: number[]) => makePlan(seeds, ["dense"], 300, 1);
const published = { dense: 0.8209, cnn: 0.9673 };

Deno.test(
  "study on real MNIST: two seeds, rerun up to date, study:table, collect",
  needsMnist,
  async () => {
    await withTempDir(async (a) => {
      await withTempDir(async (b) => {
        await smallDataDir(a);
        await smallDataDir(b);
        const epochs: string[] = [];
        const first = await runStudy({
          dataDir: a,
          plan: quick([1, 2]),
          published,
          onEpoch: (run, record, of) =>
            epochs.push(`seed ${run.seed} epoch ${record.epoch}/${of}`),
        });
        assert.equal(first.status, "done");
        if (first.status !== "done") return;
        // Each run reports its epochs (the CLI logs a line per epoch).
        assert.deepEqual(epochs, ["seed 1 epoch 1/1", "seed 2 epoch 1/1"]);
        assert.deepEqual(first.runs.map((r) => r.status), [
          "trained",
          "trained",
        ]);
        const e = first.runs[0].evaluation;
        assert.equal(e.images, 300);
        assert.equal(Object.keys(e.corruptions).length, 15);
        assert.ok(e.mnistC > 0 && e.mnistC < 1);
        assert.deepEqual(await loadStudySummary(a), first.summary);

        // The command line: everything up to date, --json prints the summary.
        const args = ["--seeds", "1,2", "--models", "dense", "--limit", "300"];
        const rerun = await runScript("study", [
          ...args,
          "--epochs",
          "1",
          "--json",
          "--data-dir",
          a,
        ], ["-P"]);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.match(rerun.stderr, /seed 1 .*: up to date/);
        assert.match(rerun.stderr, /summary up to date/);
        assert.deepEqual(JSON.parse(rerun.stdout), first.summary);

        // study:table writes the table between the markers; --check agrees,
        // and fails once the table is edited.
        const readme = join(a, "README.md");
        await Deno.writeTextFile(
          readme,
          `# x\n${TABLE_MARKERS.start}\n${TABLE_MARKERS.end}\n`,
        );
        const table = ["--readme", readme, "--data-dir", a];
        // study:table runs deno fmt on what it writes.
        const tablePermissions = [...TASK_PERMISSIONS, "--allow-run"];
        assert.equal(
          (await runScript("study_table", table, tablePermissions)).code,
          0,
        );
        // Written as deno fmt formats it (columns aligned), so the README
        // passes `deno fmt --check` and, formatted, still passes --check.
        assert.match(await Deno.readTextFile(readme), /\| dense +\| +2 \|/);
        const fmt = await new Deno.Command(Deno.execPath(), {
          args: ["fmt", "--check", readme],
          stdout: "null",
          stderr: "null",
        }).output();
        assert.ok(fmt.success, "the written README is deno-fmt clean");
        assert.equal(
          (await runScript(
            "study_table",
            [...table, "--check"],
            tablePermissions,
          )).code,
          0,
        );
        const text = await Deno.readTextFile(readme);
        await Deno.writeTextFile(
          readme,
          text.replace("| dense ", "| dense*"),
        );
        const check = await runScript(
          "study_table",
          [...table, "--check"],
          tablePermissions,
        );
        assert.equal(check.code, 1);
        assert.match(
          check.stderr,
          /^error: .*README\.md: the Results table differs/m,
        );

        // Seed 3 made in another data folder is collected, not retrained.
        const other = await runStudy({
          dataDir: b,
          plan: quick([3]),
          published,
        });
        assert.equal(other.status, "done");
        const copied = await collectRuns(a, [b]);
        assert.deepEqual(copied.copied, [
          "study/dense/seed-3-limit300-epochs1",
        ]);
        const merged = await runStudy({
          dataDir: a,
          plan: quick([1, 2, 3]),
          published,
        });
        assert.equal(merged.status, "done");
        if (merged.status !== "done") return;
        assert.deepEqual(merged.runs.map((r) => r.status), [
          "up to date",
          "up to date",
          "collected",
        ]);
        assert.equal(merged.summary.recipes[0].metrics.noisy.n, 3);
        assert.deepEqual((await collectRuns(a, [b])).same, [
          "study/dense/seed-3-limit300-epochs1",
        ]);

        // Different results for the same run: one line, nothing copied.
        const runB = join(b, "study/dense/seed-3-limit300-epochs1");
        const manifest = JSON.parse(
          await Deno.readTextFile(join(runB, "manifest.json")),
        );
        manifest.results.noisyTestAccuracy += 0.01;
        await Deno.writeTextFile(
          join(runB, "manifest.json"),
          JSON.stringify(manifest),
        );
        await assert.rejects(
          () => collectRuns(a, [b]),
          (err: Error) =>
            err instanceof DataError && /different results/.test(err.message) &&
            !err.message.includes("\n"),
        );

        // A tampered run is refused before anything is copied.
        const weights = join(runB, "weights.bin");
        const bytes = await Deno.readFile(weights);
        bytes[100] ^= 1;
        await Deno.writeFile(weights, bytes);
        await withTempDir(async (c) => {
          await assert.rejects(
            () => collectRuns(c, [b]),
            /weights\.bin does not match/,
          );
          assert.deepEqual(
            [...Deno.readDirSync(c)].map((e) => e.name),
            [],
            "nothing copied",
          );
        });

        // A summary edited after the fact is refused.
        const summaryPath = join(a, "study", STUDY_FILES.summary);
        await Deno.writeTextFile(summaryPath, "{}");
        await assert.rejects(() => loadStudySummary(a), /does not match/);
      });
    });
  },
);

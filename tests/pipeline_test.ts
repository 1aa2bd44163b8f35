/**
 * End to end on real MNIST: the scripts run as a user runs them (as
 * subprocesses, with the tasks' permissions), on a small slice.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  MNIST_DIR,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

/** A script with the permissions of the tasks that run it. */
function run(script: string, ...args: string[]) {
  return runScript(script, args, [
    ...TASK_PERMISSIONS,
    "--allow-net",
    "--allow-ffi",
  ]);
}

Deno.test({
  name:
    "pipeline: fetch → augment → train:dense on 2,000 real images, up-to-date skips, reruns on new inputs",
  ignore: MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dataDir) => {
      const dd = ["--data-dir", dataDir];
      assert.equal((await run("fetch", ...dd, "--source", MNIST_DIR!)).code, 0);

      // A missing stage input names the task to run.
      const early = await run("train_cnn", ...dd);
      assert.equal(early.code, 1);
      assert.match(
        early.stderr.trim(),
        /^error: .*noisy.*run `deno task augment` first$/,
      );

      // Identity preset: the digits stay clean, so 2 epochs must learn them.
      const augment = await run(
        "augment",
        ...dd,
        "--limit",
        "2000",
        "--preset",
        "none",
        "--workers",
        "1",
      );
      assert.equal(augment.code, 0, augment.stderr);
      const trained = await run(
        "train_dense",
        ...dd,
        "--limit",
        "2000",
        "--epochs",
        "2",
      );
      assert.equal(trained.code, 0, trained.stderr);
      const modelDir = join(dataDir, "models", "dense");
      const history = JSON.parse(
        await Deno.readTextFile(join(modelDir, "history.json")),
      );
      assert.equal(history.epochs.length, 2);
      const valAccuracy = history.epochs[1].valAccuracy;
      assert.ok(valAccuracy > 0.6, `validation accuracy ${valAccuracy} ≤ 60 %`);
      const metrics = JSON.parse(
        await Deno.readTextFile(join(modelDir, "metrics.json")),
      );
      assert.equal(metrics.params, 235_146);
      assert.equal(metrics.counts.train + metrics.counts.validation, 2000);
      assert.equal(metrics.test.noisy.count, 2000);
      assert.equal(metrics.test.clean.count, 10000);
      assert.equal(
        metrics.test.noisy.confusion.flat().reduce(
          (a: number, b: number) => a + b,
          0,
        ),
        2000,
      );
      for (
        const file of [
          "model.json",
          "weights.bin",
          "predictions.json",
          "manifest.json",
        ]
      ) {
        assert.ok((await Deno.stat(join(modelDir, file))).isFile, file);
      }
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(modelDir))).filter((e) =>
          e.name.endsWith(".tmp") || e.name === "checkpoint.bin"
        ),
        [],
      );

      // Unchanged inputs and parameters: skipped, and says so.
      const again = await run(
        "train_dense",
        ...dd,
        "--limit",
        "2000",
        "--epochs",
        "2",
      );
      assert.equal(again.code, 0);
      assert.match(again.stderr, /train:dense: up to date/);

      // New upstream data (the noisy preset) invalidates the model.
      assert.equal(
        (await run("augment", ...dd, "--limit", "2000", "--force")).code,
        0,
      );
      const rerun = await run(
        "train_dense",
        ...dd,
        "--limit",
        "2000",
        "--epochs",
        "1",
      );
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.doesNotMatch(rerun.stderr, /up to date/);
      assert.match(rerun.stderr, /epoch +1\/1/);

      // Bad usage: one line, exit 2.
      const bad = await run("train_dense", ...dd, "--backend", "webgl");
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr.trim().split("\n").length, 1);
      assert.match(bad.stderr, /--backend: unknown backend "webgl"/);
      const badInputs = await run("train_cnn", ...dd, "--inputs", "raw");
      assert.equal(badInputs.code, 2);
      assert.match(
        badInputs.stderr,
        /^error: --inputs: unknown value "raw" \(expected one of: unit, standardized, per-image\)\n$/,
      );
    });
  },
});

/**
 * `train_dense` as a user runs it: what `--resume` says without a
 * checkpoint.
 */
import assert from "assert";
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
  name: "train_dense: --resume without a checkpoint says so",
  ignore: MNIST_DIR === undefined,
  async fn(t) {
    await withTempDir(async (dataDir) => {
      const dd = ["--data-dir", dataDir];
      const quick = [...dd, "--limit", "1000", "--epochs", "1"];
      assert.equal((await run("fetch", ...dd, "--source", MNIST_DIR!)).code, 0);
      const augment = await run(
        "augment",
        ...dd,
        "--limit",
        "1000",
        "--preset",
        "none",
        "--workers",
        "1",
      );
      assert.equal(augment.code, 0, augment.stderr);
      const trained = await run("train_dense", ...quick);
      assert.equal(trained.code, 0, trained.stderr);

      await t.step("--resume on an up-to-date model: up to date", async () => {
        const again = await run("train_dense", ...quick, "--resume");
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /train:dense: up to date/);
        assert.doesNotMatch(again.stderr, /training|epoch 1\/1/);
      });

      await t.step(
        "--resume without a checkpoint: one line, then a plain run",
        async () => {
          const other = await run(
            "train_dense",
            ...dd,
            "--limit",
            "1000",
            "--epochs",
            "2",
            "--resume",
          );
          assert.equal(other.code, 0, other.stderr);
          const lines = other.stderr.split("\n").filter((line) =>
            /no checkpoint/.test(line)
          );
          assert.equal(lines.length, 1, other.stderr);
          assert.match(
            lines[0],
            /^train:dense: --resume: no checkpoint at .*checkpoint\.bin; nothing to resume, running as without it$/,
          );
          assert.match(other.stderr, /epoch +2\/2/);
        },
      );
    });
  },
});

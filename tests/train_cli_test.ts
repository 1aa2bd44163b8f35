/**
 * `train_dense` as a user runs it: what `--resume` says without a
 * checkpoint, and what Ctrl-C does during training and once it is over.
 */
import assert from "node:assert/strict";
import {
  MNIST_DIR,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

const PERMISSIONS = [...TASK_PERMISSIONS, "--allow-net", "--allow-ffi"];

/** A script with the permissions of the tasks that run it. */
function run(script: string, ...args: string[]) {
  return runScript(script, args, PERMISSIONS);
}

/**
 * Run `train_dense` with `args`, press Ctrl-C once as soon as it logs
 * `trigger`, and return its exit code and everything it printed.
 */
async function interruptAt(
  trigger: RegExp,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "scripts/train_dense.ts", ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let stderr = "";
  let sent = false;
  for await (
    const chunk of child.stderr.pipeThrough(new TextDecoderStream())
  ) {
    stderr += chunk;
    if (!sent && trigger.test(stderr)) {
      child.kill("SIGINT");
      sent = true;
    }
  }
  const { code } = await child.status;
  assert.ok(sent, `never saw ${trigger}:\n${stderr}`);
  return { code, stderr };
}

Deno.test({
  name:
    "train_dense: --resume without a checkpoint says so; Ctrl-C during training checkpoints and resumes; Ctrl-C in evaluation finishes",
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

      await t.step(
        "Ctrl-C during evaluation: says the run finishes, and it does",
        async () => {
          const { code, stderr } = await interruptAt(
            /evaluating on the noisy and clean test splits/,
            [...quick, "--force"],
          );
          assert.equal(code, 0, stderr);
          assert.doesNotMatch(stderr, /stopping after this batch/);
          assert.match(
            stderr,
            /training is over; finishing the evaluation and saving the model/,
          );
          assert.match(stderr, /train:dense: noisy test acc/);
        },
      );

      await t.step(
        "Ctrl-C during training: a checkpoint, exit 130, and --resume finishes from it",
        async () => {
          const long = [...dd, "--limit", "1000", "--epochs", "100"];
          const { code, stderr } = await interruptAt(/epoch +1\/100/, [
            ...long,
            "--force",
          ]);
          assert.equal(code, 130, stderr);
          assert.match(stderr, /stopping after this batch/);
          assert.match(stderr, /train:dense: interrupted; checkpoint saved/);
          const resumed = await run("train_dense", ...long, "--resume");
          assert.equal(resumed.code, 0, resumed.stderr);
          assert.match(resumed.stderr, /epoch 100\/100/);
          assert.doesNotMatch(resumed.stderr, /epoch +1\/100/);
        },
      );
    });
  },
});

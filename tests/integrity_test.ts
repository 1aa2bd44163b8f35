/**
 * Data integrity across stages: a stage reads only files that their
 * manifest (or the pinned MNIST table) vouches for, checks all of them
 * before it spends time, and never leaves new outputs beside an old
 * manifest.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { PRESETS } from "../lib/augment/config.ts";
import { runAugmentStage } from "../lib/augment/stage.ts";
import { LockedError } from "../lib/core/errors.ts";
import { lockFolder } from "../lib/core/lock.ts";
import { readManifest } from "../lib/core/manifest.ts";
import { runStage } from "../lib/core/stage.ts";
import { readIdx, writeIdx } from "../lib/data/idx.ts";
import { MNIST_FILES, NOISY_FILES, SPLITS } from "../lib/data/mnist.ts";
import { writeReportFixture } from "./fixtures_report.ts";
import {
  listDir,
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

const needsMnist = MNIST_DIR === undefined;

/** `<dataDir>/mnist/` as symlinks to the real files. */
async function linkMnist(dataDir: string): Promise<void> {
  const dir = join(dataDir, "mnist");
  await Deno.mkdir(dir, { recursive: true });
  for (const split of SPLITS) {
    for (const file of Object.values(MNIST_FILES[split])) {
      await Deno.symlink(resolve(MNIST_DIR!, file), join(dir, file));
    }
  }
}

/** Real MNIST linked in and a 200-image identity `noisy/` beside it. */
async function trainableDataDir(dataDir: string): Promise<void> {
  await linkMnist(dataDir);
  await runAugmentStage({
    dataDir,
    preset: "none",
    config: structuredClone(PRESETS.none),
    seed: 42,
    limit: 200,
    workers: 1,
  });
}

/** `train_dense` on the 200 images for one epoch, as a user runs it. */
async function trainDense(dataDir: string, ...args: string[]) {
  const output = await runScript(
    "train_dense",
    ["--data-dir", dataDir, "--limit", "200", "--epochs", "1", ...args],
    [...TASK_PERMISSIONS, "--allow-ffi"],
  );
  const lines = output.stderr.trim().split("\n").filter((l) => l !== "");
  return { code: output.code, lines, errors: lines.filter(isError) };
}

function isError(line: string): boolean {
  return line.startsWith("error:");
}

Deno.test({
  name:
    "train: a missing noisy test split is refused before the first epoch, not after training",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (dataDir) => {
      await trainableDataDir(dataDir);
      await Deno.remove(join(dataDir, "noisy", NOISY_FILES.test.images));
      const result = await trainDense(dataDir);
      assert.equal(result.code, 1, result.lines.join("\n"));
      assert.equal(result.errors.length, 1, result.lines.join("\n"));
      assert.match(result.errors[0], /test-images-idx3-ubyte\.gz/);
      assert.match(result.errors[0], /deno task augment/);
      assert.ok(
        !result.lines.some((l) => /epoch +1\/1/.test(l)),
        `trained before refusing:\n${result.lines.join("\n")}`,
      );
      assert.deepEqual(await listDir(join(dataDir, "models", "dense")), []);
    });
  },
});

Deno.test({
  name:
    "train: a noisy/ file that does not match noisy/manifest.json is refused, naming augment --force",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (dataDir) => {
      await trainableDataDir(dataDir);
      // Valid labels, but not the ones the manifest vouches for.
      const path = join(dataDir, "noisy", NOISY_FILES.train.labels);
      const labels = (await readIdx(path)).data as Uint8Array;
      await writeIdx(path, {
        dtype: "uint8",
        shape: [labels.length],
        data: labels.map((label) => (label + 1) % 10),
      });
      const result = await trainDense(dataDir);
      assert.equal(result.code, 1, result.lines.join("\n"));
      assert.deepEqual(result.errors, [
        `error: ${path} does not match noisy/manifest.json (edited or left by an interrupted run); run \`deno task augment --force\``,
      ]);
      assert.deepEqual(await listDir(join(dataDir, "models", "dense")), []);
    });
  },
});

Deno.test(
  "a stage cut short leaves no manifest vouching for its new outputs",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const stage = (text: string, fail: boolean) =>
        runStage({
          stage: "example",
          dir,
          params: {},
          rerun: "--force",
          work: async () => {
            await Deno.writeTextFile(join(dir, "a.txt"), text);
            if (fail) throw new Error("interrupted");
            await Deno.writeTextFile(join(dir, "b.txt"), text);
            return { status: "done", outputs: ["a.txt", "b.txt"], value: 0 };
          },
        });
      await stage("old", false);
      assert.ok(await readManifest(dir));
      await assert.rejects(stage("new", true), /interrupted/);
      // a.txt is new, b.txt old: no manifest may vouch for that mix.
      assert.equal(await readManifest(dir), undefined);
    });
  },
);

/** Four small valid IDX files under the MNIST names (not the real ones). */
async function writeFakeMnist(dataDir: string): Promise<void> {
  const count = 20;
  for (const split of SPLITS) {
    const dir = join(dataDir, "mnist");
    await writeIdx(join(dir, MNIST_FILES[split].images), {
      dtype: "uint8",
      shape: [count, 28, 28],
      data: new Uint8Array(count * 28 * 28).map((_, i) => (i * 7) % 256),
    });
    await writeIdx(join(dir, MNIST_FILES[split].labels), {
      dtype: "uint8",
      shape: [count],
      data: new Uint8Array(count).map((_, i) => i % 10),
    });
  }
}

Deno.test(
  "augment refuses mnist/ files that are not the pinned MNIST, naming fetch --force",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      await writeFakeMnist(dataDir);
      const output = await runScript("augment", ["--data-dir", dataDir]);
      const lines = output.stderr.trim().split("\n");
      assert.equal(output.code, 1, output.stderr);
      assert.equal(lines.length, 1, output.stderr);
      assert.match(
        lines[0],
        /^error: .*mnist\/train-images-idx3-ubyte\.gz: SHA-256 mismatch .*; run `deno task fetch --force`$/,
      );
      assert.deepEqual(await listDir(join(dataDir, "noisy")), []);
    });
  },
);

Deno.test({
  name:
    "train refuses an mnist/ test file that is not the pinned MNIST, naming fetch --force",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (dataDir) => {
      await trainableDataDir(dataDir);
      // Replace the link (never its target) with valid but wrong labels.
      const path = join(dataDir, "mnist", MNIST_FILES.test.labels);
      const labels = (await readIdx(path)).data as Uint8Array;
      await Deno.remove(path);
      await writeIdx(path, {
        dtype: "uint8",
        shape: [labels.length],
        data: labels.map((label) => (label + 1) % 10),
      });
      const result = await trainDense(dataDir);
      assert.equal(result.code, 1, result.lines.join("\n"));
      assert.equal(result.errors.length, 1, result.lines.join("\n"));
      assert.match(
        result.errors[0],
        /^error: .*mnist\/t10k-labels-idx1-ubyte\.gz: SHA-256 mismatch .*; run `deno task fetch --force`$/,
      );
      assert.deepEqual(await listDir(join(dataDir, "models", "dense")), []);
    });
  },
});

/**
 * Another process that locks `dir` as a stage run does (flock on
 * `<dir>/.lock` holding its pid) and keeps it until killed.
 */
async function holdLock(dir: string): Promise<Deno.ChildProcess> {
  const lockModule = new URL("../lib/core/lock.ts", import.meta.url).href;
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { lockFolder } from ${JSON.stringify(lockModule)};
await lockFolder(${JSON.stringify(dir)});
console.log("locked");
setTimeout(() => {}, 120_000);`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  while (!seen.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the lock holder exited");
    seen += value;
  }
  reader.releaseLock();
  return holder;
}

Deno.test(
  "a stage refuses a folder another running process holds, and takes over a dead one's lock",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      await writeReportFixture(dataDir);
      const reportDir = join(dataDir, "report");
      const lock = join(reportDir, ".lock");
      const report = () => runScript("report", ["--data-dir", dataDir]);

      const holder = await holdLock(reportDir);
      let killed = false;
      try {
        assert.equal(await Deno.readTextFile(lock), `${holder.pid}\n`);
        const refused = await report();
        assert.equal(refused.code, 1, refused.stderr);
        const lines = refused.stderr.trim().split("\n");
        assert.equal(lines.length, 1, refused.stderr);
        assert.equal(
          lines[0],
          `error: ${reportDir} is in use by process ${holder.pid} (${lock}); wait for that run to finish`,
        );
        assert.deepEqual(await listDir(reportDir), [".lock"]);

        // The holder dies without cleaning up: its lock file stays, stale.
        holder.kill("SIGKILL");
        await holder.status;
        killed = true;
        assert.equal(await Deno.readTextFile(lock), `${holder.pid}\n`);
        const built = await report();
        assert.equal(built.code, 0, built.stderr);
        assert.ok(!(await listDir(reportDir)).includes(".lock"));
      } finally {
        if (!killed) {
          holder.kill("SIGKILL");
          await holder.status;
        }
        await holder.stdout.cancel().catch(() => {});
      }
    });
  },
);

Deno.test(
  "a second lock on a folder in the same process is refused until the first is released",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const first = await lockFolder(dir);
      await assert.rejects(
        lockFolder(dir),
        (error: unknown) =>
          error instanceof LockedError &&
          error.message.includes(`in use by process ${Deno.pid}`),
      );
      await first.release();
      assert.deepEqual(await listDir(dir), []);
      await (await lockFolder(dir)).release();
    });
  },
);

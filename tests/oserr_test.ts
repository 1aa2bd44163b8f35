/**
 * Operating-system errors, as a user meets them: every script run as a
 * subprocess against a folder where a file should be (or a file where a
 * folder should be), a read-only folder, a full disk. Each must end in one
 * line `error: <path>: <problem>` and exit 1, with no stack trace, and
 * leave the files it found as they were and no temporary files behind.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  type ScriptOutput,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";
import {
  CAN_MOUNT,
  fillUp,
  needsMount,
  snapshot,
  withReadOnly,
  withTmpfs,
} from "./fs_faults.ts";
import { writeReportFixture } from "./fixtures_report.ts";
import { MNIST_FILE_NAMES } from "../lib/data/mod.ts";
import { sha256File } from "../lib/core/mod.ts";

const IS_FOLDER = "is a folder, not a file";
const IS_FILE = "is a file, not a folder";
const READ_ONLY = "read-only file system";
const FULL = "no space left on device";
const TRAIN_PERMISSIONS = [...TASK_PERMISSIONS, "--allow-ffi"];
const TRAIN_FAST = ["--limit", "100", "--epochs", "1"];
const HAS_CHROMIUM = (() => {
  try {
    return Deno.statSync("/usr/bin/chromium").isFile;
  } catch {
    return false;
  }
})();

/**
 * Exit 1, no stack trace, and the last line of stderr the only error:
 * `error: <start>…` naming `problem`.
 */
function assertOneLine(out: ScriptOutput, start: string, problem: string) {
  assert.equal(out.code, 1, out.stderr);
  assert.ok(!/^\s+at |Uncaught/m.test(out.stderr), out.stderr);
  const lines = out.stderr.trim().split("\n");
  assert.equal(lines.filter((l) => l.startsWith("error:")).length, 1);
  const last = lines.at(-1)!;
  assert.ok(last.startsWith(`error: ${start}`), last);
  assert.ok(last.includes(`: ${problem}`), last);
}

/** No `.<name>.<pid>.<nonce>.tmp` file anywhere under `dir`. */
async function assertNoTempFiles(dir: string): Promise<void> {
  for (const path of (await snapshot(dir)).keys()) {
    assert.ok(!/(^|\/)\.[^/]*\.tmp$/.test(path), `left behind: ${path}`);
  }
}

/** Every file of `before` is still there unchanged, or gone; no temp. */
async function assertUnchanged(
  dir: string,
  before: Map<string, Uint8Array>,
): Promise<void> {
  const after = await snapshot(dir);
  for (const [path, bytes] of after) {
    const old = before.get(path);
    assert.ok(old, `new file: ${path}`);
    assert.deepEqual(bytes, old, `changed: ${path}`);
  }
}

/** The four MNIST files, copied into `<dataDir>/mnist/`. */
async function copyMnist(dataDir: string): Promise<void> {
  await Deno.mkdir(join(dataDir, "mnist"), { recursive: true });
  for (const file of MNIST_FILE_NAMES) {
    await Deno.copyFile(join(MNIST_DIR!, file), join(dataDir, "mnist", file));
  }
}

/** mnist/ and a 100-image noisy/ in `dataDir`. */
async function noisyData(dataDir: string): Promise<void> {
  await copyMnist(dataDir);
  const out = await augment(dataDir);
  assert.equal(out.code, 0, out.stderr);
}

function augment(dataDir: string, ...args: string[]) {
  return runScript("augment", [
    "--data-dir",
    dataDir,
    "--limit",
    "100",
    "--preset",
    "none",
    "--workers",
    "1",
    ...args,
  ]);
}

function fetch(dataDir: string, source = MNIST_DIR!) {
  return runScript("fetch", ["--data-dir", dataDir, "--source", source]);
}

/** A file named `name` in `dir`: what `--data-dir` points at. */
async function aFile(dir: string, name = "not-a-folder"): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, "a file\n");
  return path;
}

Deno.test({
  name: "fetch: OS errors are one line naming the path",
  ignore: MNIST_DIR === undefined,
  async fn(t) {
    const first = MNIST_FILE_NAMES[0];
    await withTempDir(async (dir) => {
      await t.step(
        "a folder named like an MNIST file in --source",
        async () => {
          const source = join(dir, "source");
          await Deno.mkdir(join(source, first), { recursive: true });
          const dataDir = join(dir, "a");
          assertOneLine(
            await fetch(dataDir, source),
            `${join(source, first)}:`,
            IS_FOLDER,
          );
          assert.deepEqual(await snapshot(dir), new Map());
        },
      );
      await t.step("a folder where mnist/<file> goes", async () => {
        const dataDir = join(dir, "b");
        await Deno.mkdir(join(dataDir, "mnist", first), { recursive: true });
        assertOneLine(
          await fetch(dataDir),
          `${join(dataDir, "mnist", first)}:`,
          IS_FOLDER,
        );
        await assertNoTempFiles(dataDir);
      });
      await t.step("--data-dir pointing at a file", async () => {
        const file = await aFile(dir);
        assertOneLine(await fetch(file), `${file}:`, IS_FILE);
      });
    });
  },
});

Deno.test({
  name: needsMount("fetch: a read-only or full data folder is one line"),
  ignore: MNIST_DIR === undefined || !CAN_MOUNT,
  async fn(t) {
    await withTempDir(async (dir) => {
      await t.step("read-only", async () => {
        const dataDir = join(dir, "ro");
        await withReadOnly(dataDir, async () => {
          assertOneLine(
            await fetch(dataDir),
            `${join(dataDir, "mnist")}`,
            READ_ONLY,
          );
        });
        assert.deepEqual(await snapshot(dataDir), new Map());
      });
      await t.step("full (600 KiB tmpfs)", async () => {
        const dataDir = join(dir, "full");
        await withTmpfs(dataDir, 600, async () => {
          assertOneLine(
            await fetch(dataDir),
            `${join(dataDir, "mnist")}/`,
            FULL,
          );
          // Each file is whole or absent: here, all absent.
          assert.deepEqual(await snapshot(dataDir), new Map());
        });
      });
    });
  },
});

Deno.test({
  name: "augment: OS errors are one line naming the path",
  ignore: MNIST_DIR === undefined,
  async fn(t) {
    await withTempDir(async (dir) => {
      await t.step("--data-dir pointing at a file", async () => {
        const file = await aFile(dir);
        assertOneLine(await augment(file), `${file}:`, IS_FILE);
      });
      const dataDir = join(dir, "data");
      await copyMnist(dataDir);
      await t.step("a folder where an output file goes", async () => {
        const output = join(dataDir, "noisy", "samples.png");
        await Deno.mkdir(output, { recursive: true });
        assertOneLine(await augment(dataDir), `${output}:`, IS_FOLDER);
        await assertNoTempFiles(dataDir);
        await Deno.remove(output);
      });
      await t.step("a folder where an input file is", async () => {
        const input = join(dataDir, "mnist", MNIST_FILE_NAMES[0]);
        await Deno.rename(input, `${input}.moved`);
        await Deno.mkdir(input);
        assertOneLine(await augment(dataDir), `${input}:`, IS_FOLDER);
        await Deno.remove(input);
        await Deno.rename(`${input}.moved`, input);
      });
    });
  },
});

Deno.test({
  name: needsMount("augment: a read-only or full noisy/ is one line"),
  ignore: MNIST_DIR === undefined || !CAN_MOUNT,
  async fn(t) {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await copyMnist(dataDir);
      const noisy = join(dataDir, "noisy");
      await t.step("read-only", async () => {
        await withReadOnly(noisy, async () => {
          assertOneLine(await augment(dataDir), `${noisy}/`, READ_ONLY);
        });
        assert.deepEqual(await snapshot(noisy), new Map());
      });
      await t.step("full: the previous outputs stay as they were", async () => {
        await withTmpfs(noisy, 600, async () => {
          assert.equal((await augment(dataDir)).code, 0);
          const before = await snapshot(noisy);
          await fillUp(noisy);
          assertOneLine(
            await augment(dataDir, "--seed", "7"),
            `${noisy}/`,
            FULL,
          );
          await assertUnchanged(noisy, before);
        });
      });
    });
  },
});

Deno.test({
  name: "train: OS errors are one line naming the path",
  ignore: MNIST_DIR === undefined,
  async fn(t) {
    await withTempDir(async (dir) => {
      await t.step("--data-dir pointing at a file (dense, cnn)", async () => {
        const file = await aFile(dir);
        for (const script of ["train_dense", "train_cnn"]) {
          const out = await runScript(
            script,
            ["--data-dir", file],
            TRAIN_PERMISSIONS,
          );
          assertOneLine(out, `${file}:`, IS_FILE);
        }
      });
      const dataDir = join(dir, "data");
      await noisyData(dataDir);
      const modelDir = join(dataDir, "models", "dense");
      const checkpoint = join(modelDir, "checkpoint.bin");
      await Deno.mkdir(checkpoint, { recursive: true });
      await t.step("checkpoint.bin is a folder", async () => {
        const out = await runScript(
          "train_dense",
          ["--data-dir", dataDir, ...TRAIN_FAST],
          TRAIN_PERMISSIONS,
        );
        assertOneLine(out, `${checkpoint}:`, IS_FOLDER);
        assert.deepEqual(await snapshot(modelDir), new Map());
      });
      await t.step(
        "--resume from a checkpoint.bin that is a folder",
        async () => {
          const out = await runScript(
            "train_dense",
            ["--data-dir", dataDir, ...TRAIN_FAST, "--resume"],
            TRAIN_PERMISSIONS,
          );
          assertOneLine(out, `${checkpoint}:`, IS_FOLDER);
        },
      );
    });
  },
});

Deno.test({
  name: needsMount("train: a read-only or full models/<m>/ is one line"),
  ignore: MNIST_DIR === undefined || !CAN_MOUNT,
  async fn(t) {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await noisyData(dataDir);
      const modelDir = join(dataDir, "models", "dense");
      const train = () =>
        runScript(
          "train_dense",
          ["--data-dir", dataDir, ...TRAIN_FAST],
          TRAIN_PERMISSIONS,
        );
      await t.step("read-only", async () => {
        await withReadOnly(modelDir, async () => {
          assertOneLine(await train(), `${modelDir}/`, READ_ONLY);
        });
      });
      await t.step("full (600 KiB tmpfs)", async () => {
        await withTmpfs(modelDir, 600, async () => {
          assertOneLine(await train(), `${modelDir}/`, FULL);
          assert.deepEqual(await snapshot(modelDir), new Map());
        });
      });
    });
  },
});

Deno.test(
  "report: OS errors and a null metrics.json are one line naming the path",
  NEEDS_PERMISSIONS,
  async (t) => {
    await withTempDir(async (dir) => {
      await t.step("--data-dir pointing at a file", async () => {
        const file = await aFile(dir);
        assertOneLine(
          await runScript("report", ["--data-dir", file]),
          `${file}:`,
          IS_FILE,
        );
      });
      const dataDir = join(dir, "data");
      await writeReportFixture(dataDir);
      await t.step("models/dense/metrics.json holds null", async () => {
        const metrics = join(dataDir, "models", "dense", "metrics.json");
        const text = await Deno.readTextFile(metrics);
        // As a training run that wrote it would: its manifest agrees.
        const manifestPath = join(dataDir, "models", "dense", "manifest.json");
        const manifestText = await Deno.readTextFile(manifestPath);
        const manifest = JSON.parse(manifestText);
        await Deno.writeTextFile(metrics, "null\n");
        manifest.outputs["metrics.json"] = await sha256File(metrics);
        await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
        try {
          assertOneLine(
            await runScript("report", ["--data-dir", dataDir]),
            `${metrics}:`,
            "holds null, not a JSON object",
          );
        } finally {
          await Deno.writeTextFile(metrics, text);
          await Deno.writeTextFile(manifestPath, manifestText);
        }
      });
      await t.step("a folder where report/index.html goes", async () => {
        const html = join(dataDir, "report", "index.html");
        await Deno.mkdir(html, { recursive: true });
        assertOneLine(
          await runScript("report", ["--data-dir", dataDir]),
          `${html}:`,
          IS_FOLDER,
        );
        await assertNoTempFiles(dataDir);
        await Deno.remove(html);
      });
    });
  },
);

Deno.test({
  name: needsMount("report: a read-only or full report/ is one line"),
  ignore: !CAN_MOUNT,
  async fn(t) {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await writeReportFixture(dataDir);
      const reportDir = join(dataDir, "report");
      const report = (...args: string[]) =>
        runScript("report", ["--data-dir", dataDir, ...args]);
      await t.step("read-only", async () => {
        await withReadOnly(reportDir, async () => {
          assertOneLine(await report(), `${reportDir}/`, READ_ONLY);
        });
        assert.deepEqual(await snapshot(reportDir), new Map());
      });
      await t.step("full: the previous report stays as it was", async () => {
        await withTmpfs(reportDir, 2048, async () => {
          assert.equal((await report()).code, 0);
          const before = await snapshot(reportDir);
          await fillUp(reportDir);
          assertOneLine(await report("--force"), `${reportDir}/`, FULL);
          await assertUnchanged(reportDir, before);
        });
      });
    });
  },
});

Deno.test(
  "check_report: OS errors before the browser are one line",
  NEEDS_PERMISSIONS,
  async (t) => {
    const check = (dataDir: string) =>
      runScript("check_report", ["--data-dir", dataDir], [
        "--allow-read",
        "--allow-env",
        "--allow-run",
      ]);
    await withTempDir(async (dir) => {
      await t.step("--data-dir pointing at a file", async () => {
        const file = await aFile(dir);
        assertOneLine(await check(file), `${file}:`, IS_FILE);
      });
      await t.step("report/index.html is a folder", async () => {
        const html = join(dir, "data", "report", "index.html");
        await Deno.mkdir(html, { recursive: true });
        assertOneLine(await check(join(dir, "data")), `${html}:`, IS_FOLDER);
      });
    });
  },
);

Deno.test({
  name: "check_report: a screenshot it cannot save is one FAIL line",
  ignore: !HAS_CHROMIUM,
  async fn(t) {
    await withTempDir(async (dir) => {
      await writeReportFixture(dir);
      assert.equal((await runScript("report", ["--data-dir", dir])).code, 0);
      const shot = join(dir, "report", "screenshot.png");
      /** check:report fails on the screenshot alone, as one line. */
      const assertScreenshotFails = async (problem: string) => {
        const out = await runScript("check_report", ["--data-dir", dir], [
          "--allow-read",
          "--allow-env",
          "--allow-run",
        ]);
        assert.equal(out.code, 1, out.stderr);
        assert.ok(!/^\s+at |Uncaught/m.test(out.stderr), out.stderr);
        const failed = out.stdout.split("\n").filter((l) =>
          l.startsWith("FAIL")
        );
        assert.deepEqual(failed, [
          `FAIL screenshot saved: ${shot}: ${problem}`,
        ]);
      };
      await t.step("screenshot.png is a folder", async () => {
        await Deno.mkdir(shot);
        await assertScreenshotFails(IS_FOLDER);
        await Deno.remove(shot);
      });
      await t.step({
        name: needsMount("report/ is read-only"),
        ignore: !CAN_MOUNT,
        fn: () =>
          withReadOnly(
            join(dir, "report"),
            () => assertScreenshotFails(READ_ONLY),
          ),
      });
    });
  },
});

/** The files scripts/build_wasm.ts needs, copied into `dir`. */
async function buildWasmCopy(dir: string): Promise<void> {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const copy = async (from: string, to: string) => {
    const info = await Deno.stat(from);
    if (info.isDirectory) {
      await Deno.mkdir(to, { recursive: true });
      for await (const entry of Deno.readDir(from)) {
        await copy(join(from, entry.name), join(to, entry.name));
      }
    } else await Deno.copyFile(from, to);
  };
  for (const path of ["deno.json", "deno.lock", "lib", "scripts"]) {
    await copy(join(root, path), join(dir, path));
  }
  // The first run in a new folder warns about npm build scripts.
  assert.equal((await buildWasm(dir)).code, 0);
}

/** scripts/build_wasm.ts of the copy in `dir`, as its task runs it. */
async function buildWasm(dir: string): Promise<ScriptOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--config",
      join(dir, "deno.json"),
      join(dir, "scripts", "build_wasm.ts"),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test(
  "build_wasm: OS errors are one line naming the path",
  NEEDS_PERMISSIONS,
  async (t) => {
    await withTempDir(async (dir) => {
      await buildWasmCopy(dir);
      const kernels = join(dir, "lib", "kernels");
      await t.step("simd_wasm.ts is a folder", async () => {
        const target = join(kernels, "simd_wasm.ts");
        await Deno.rename(target, `${target}.moved`);
        await Deno.mkdir(target);
        assertOneLine(await buildWasm(dir), `${target}:`, IS_FOLDER);
        await assertNoTempFiles(kernels);
        await Deno.remove(target);
        await Deno.rename(`${target}.moved`, target);
      });
      await t.step("simd.wat is a folder", async () => {
        const source = join(kernels, "simd.wat");
        await Deno.rename(source, `${source}.moved`);
        await Deno.mkdir(source);
        assertOneLine(await buildWasm(dir), `${source}:`, IS_FOLDER);
        await Deno.remove(source);
        await Deno.rename(`${source}.moved`, source);
      });
    });
  },
);

Deno.test({
  name: needsMount("build_wasm: a read-only or full lib/kernels/ is one line"),
  ignore: !CAN_MOUNT,
  async fn(t) {
    await withTempDir(async (dir) => {
      await buildWasmCopy(dir);
      const kernels = join(dir, "lib", "kernels");
      const target = join(kernels, "simd_wasm.ts");
      await t.step("read-only", async () => {
        const before = await snapshot(kernels);
        await withReadOnly(kernels, async () => {
          assertOneLine(await buildWasm(dir), `${target}:`, READ_ONLY);
        });
        await assertUnchanged(kernels, before);
      });
      await t.step("full: simd_wasm.ts keeps its old bytes", async () => {
        const saved = await snapshot(kernels);
        await Deno.rename(kernels, `${kernels}.full`);
        await withTmpfs(kernels, 600, async () => {
          for (const [path, bytes] of saved) {
            await Deno.mkdir(dirname(join(kernels, path)), { recursive: true });
            await Deno.writeFile(join(kernels, path), bytes);
          }
          await Deno.writeTextFile(target, "// stale\n");
          const before = await snapshot(kernels);
          await fillUp(kernels);
          assertOneLine(await buildWasm(dir), `${target}:`, FULL);
          await assertUnchanged(kernels, before);
          assert.equal((await snapshot(kernels)).size, before.size);
        });
        await Deno.remove(kernels);
        await Deno.rename(`${kernels}.full`, kernels);
      });
    });
  },
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256File } from "../lib/core/mod.ts";
import { loadMnist, loadTestSets, takeFirst } from "../lib/data/mod.ts";
import type { EvaluationFile } from "../lib/evaluate/mod.ts";
import {
  CORRUPTIONS,
  CorruptionWorker,
  corruptSplit,
  MNIST_C_CORRUPTIONS,
  type ModelCells,
  type RobustnessCell,
  type RobustnessResults,
  SAMPLE_ROWS,
  samplesGrid,
  scoreModels,
} from "../lib/robustness/mod.ts";
import {
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

/** Cells of one model: error `e(name, severity)` everywhere. */
function cells(
  model: string,
  clean: number,
  e: (name: string, severity: number) => number,
): ModelCells {
  const cell = (error: number): RobustnessCell => ({
    accuracy: 1 - error,
    loss: 0,
    count: 100,
  });
  return {
    model,
    manifestSha256: "0".repeat(64),
    clean: cell(clean),
    noisy: cell(clean),
    corruptions: Object.fromEntries(
      CORRUPTIONS.map((c) => [
        c.name,
        [1, 2, 3, 4, 5].map((s) => cell(e(c.name, s))),
      ]),
    ),
  };
}

Deno.test("scoreModels: CE against the reference, mCE over MNIST-C's fifteen, accuracy at default severities", () => {
  const ref = cells("dense", 0.02, (_, s) => 0.1 * s);
  const other = cells("cnn", 0.01, (name, s) =>
    // Half the reference's error, except the extras, which mCE ignores.
    name === "gaussian_noise" ? 0.9 : 0.05 * s);
  const [dense, cnn] = scoreModels([ref, other], CORRUPTIONS, "dense");
  assert.equal(dense.mCE, 1);
  assert.equal(dense.relativeMCE, 1);
  assert.ok(Math.abs(cnn.mCE - 0.5) < 1e-12, String(cnn.mCE));
  assert.deepEqual(
    Object.keys(cnn.corruptionErrors),
    MNIST_C_CORRUPTIONS.map((c) => c.name),
  );
  const expected = MNIST_C_CORRUPTIONS.reduce(
    (sum, c) => sum + 1 - 0.05 * c.defaultSeverity,
    0,
  ) / 15;
  assert.ok(Math.abs(cnn.mnistCAccuracy - expected) < 1e-12);
  // (Σ 0.05 s − 5 · 0.01) / (Σ 0.1 s − 5 · 0.02) = 0.7 / 1.4
  assert.ok(Math.abs(cnn.relativeMCE - 0.5) < 1e-12, String(cnn.relativeMCE));
  // A reference without errors on a corruption leaves its CE undefined.
  const perfect = cells("dense", 0, (name, s) => name === "shear" ? 0 : s / 10);
  const [p] = scoreModels([perfect], CORRUPTIONS, "dense");
  assert.ok(Number.isNaN(p.corruptionErrors.shear));
  assert.equal(p.corruptionErrors.rotate, 1);
  assert.throws(() => scoreModels([ref], CORRUPTIONS, "cnn"), RangeError);
});

Deno.test("samplesGrid: identity then the catalogue, five severities of the first digits", () => {
  const images = new Uint8Array(4 * 784);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7) % 256;
  const split = {
    images,
    labels: new Uint8Array(4),
    count: 4,
    rows: 28,
    cols: 28,
  };
  assert.equal(SAMPLE_ROWS.length, 1 + CORRUPTIONS.length);
  assert.equal(SAMPLE_ROWS[0], "identity");
  const grid = samplesGrid(split, 42, 3, 1);
  assert.equal(grid.height, 19 * 28 + 18 * 6);
  assert.equal(grid.width, 5 * 3 * 28 + 4 * 6);
  // The identity row holds the digits unchanged at every severity.
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < 3; i++) {
      const x = s * (3 * 28 + 6) + i * 28;
      for (let y = 0; y < 28; y++) {
        assert.deepEqual(
          grid.pixels.subarray(y * grid.width + x, y * grid.width + x + 28),
          images.subarray(i * 784 + y * 28, i * 784 + y * 28 + 28),
        );
      }
    }
  }
});

Deno.test(
  "CorruptionWorker: the main thread's corruptSplit, byte for byte, in order",
  NEEDS_PERMISSIONS,
  async () => {
    const count = 40;
    const images = new Uint8Array(count * 784);
    for (let i = 0; i < images.length; i++) {
      images[i] = (i * 31 + (i >> 5)) % 256;
    }
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const split = { images, labels, count, rows: 28, cols: 28 };
    const worker = new CorruptionWorker(split);
    try {
      const picks = [CORRUPTIONS[0], CORRUPTIONS[3], CORRUPTIONS[17]];
      const replies = await Promise.all(
        picks.map((c) => worker.corrupt(c, 3, 9)),
      );
      replies.forEach((got, k) => {
        const want = corruptSplit(split, picks[k], 3, 9);
        assert.deepEqual(got.images, want.images, picks[k].name);
        assert.deepEqual(got.labels, labels);
      });
    } finally {
      worker.terminate();
    }
  },
);

/** A script with the robustness task's permissions (and fetch's network). */
function run(script: string, ...args: string[]) {
  return runScript(script, args, [
    ...TASK_PERMISSIONS,
    "--allow-ffi",
    "--allow-net",
  ]);
}

async function readResults(dataDir: string): Promise<RobustnessResults> {
  return JSON.parse(
    await Deno.readTextFile(join(dataDir, "robustness", "results.json")),
  );
}

Deno.test({
  name:
    "deno task robustness: a tiny dense net through the sweep; shape, clean = evaluate, up to date, rerun, export, refusal",
  ignore: MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dataDir) => {
      const dd = ["--data-dir", dataDir];
      for (
        const [script, ...args] of [
          ["fetch", "--source", MNIST_DIR!],
          ["augment", "--limit", "1000", "--workers", "1"],
          ["train_dense", "--limit", "1000", "--epochs", "1"],
        ]
      ) {
        const result = await run(script, ...dd, ...args);
        assert.equal(result.code, 0, result.stderr);
      }
      const modelDir = join(dataDir, "models", "dense");
      const manifestPath = join(dataDir, "robustness", "manifest.json");

      // The sweep, with the samples picture.
      const first = await run(
        "robustness",
        ...dd,
        "--limit",
        "200",
        "--samples",
      );
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /running because: no manifest/);
      assert.match(
        first.stdout,
        /^robustness: dense: MNIST-C-style accuracy \d+\.\d\d %, mCE 100\.0 /,
      );
      const results = await readResults(dataDir);
      assert.equal(results.seed, 42);
      assert.equal(results.images, 200);
      assert.equal(results.reference, "dense");
      assert.deepEqual(
        results.corruptions.map((c) => [c.name, c.group, c.defaultSeverity]),
        CORRUPTIONS.map((c) => [c.name, c.group, c.defaultSeverity]),
      );
      assert.equal(results.models.length, 1);
      const [dense] = results.models;
      assert.equal(dense.model, "dense");
      assert.equal(
        dense.manifestSha256,
        await sha256File(join(modelDir, "manifest.json")),
      );
      assert.deepEqual(
        Object.keys(dense.corruptions),
        CORRUPTIONS.map((c) => c.name),
      );
      for (const series of Object.values(dense.corruptions)) {
        assert.equal(series.length, 5);
        for (const cell of series) {
          assert.equal(cell.count, 200);
          assert.ok(cell.accuracy >= 0 && cell.accuracy <= 1);
          assert.ok(Number.isFinite(cell.loss));
        }
      }
      assert.equal(dense.mCE, 1);
      const atDefault = MNIST_C_CORRUPTIONS.map((c) =>
        dense.corruptions[c.name][c.defaultSeverity - 1].accuracy
      );
      assert.ok(
        Math.abs(
          dense.mnistCAccuracy - atDefault.reduce((a, b) => a + b) / 15,
        ) <
          1e-12,
      );
      const png = await Deno.readFile(
        join(dataDir, "robustness", "samples.png"),
      );
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"

      // Clean and noisy are what the evaluate stage finds for the model.
      const evaluated = await run(
        "evaluate",
        ...dd,
        "--model",
        "dense",
        "--test",
        "clean",
        "--test",
        "noisy",
        "--limit",
        "200",
        "--json",
        "--out",
        join(dataDir, "eval.json"),
      );
      assert.equal(evaluated.code, 0, evaluated.stderr);
      const [clean, noisy] = (JSON.parse(evaluated.stdout) as EvaluationFile)
        .results;
      assert.deepEqual(
        [dense.clean.accuracy, dense.clean.loss],
        [clean.accuracy, clean.loss],
      );
      assert.deepEqual(
        [dense.noisy.accuracy, dense.noisy.loss],
        [noisy.accuracy, noisy.loss],
      );

      // Unchanged models and parameters: up to date, nothing rewritten.
      const manifest = await Deno.readTextFile(manifestPath);
      const second = await run("robustness", ...dd, "--limit", "200");
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /robustness: up to date/);
      assert.equal(await Deno.readTextFile(manifestPath), manifest);
      // Another parameter is another sweep.
      const other = await run("robustness", ...dd, "--limit", "100");
      assert.equal(other.code, 0, other.stderr);
      assert.match(other.stderr, /running because: parameters changed/);
      assert.equal((await readResults(dataDir)).images, 100);

      // The exported MNIST-C layout, read back as evaluate reads it.
      const exported = join(dataDir, "mnist_c");
      const exp = await run(
        "robustness",
        ...dd,
        "--export",
        exported,
        "--limit",
        "100",
      );
      assert.equal(exp.code, 0, exp.stderr);
      const { root, sets } = await loadTestSets(exported);
      assert.ok(root);
      assert.deepEqual(
        sets.map((s) => [s.name, s.format, s.split.count]),
        ["identity", ...MNIST_C_CORRUPTIONS.map((c) => c.name)].sort().map(
          (name) => [`mnist_c/${name}`, "npy", 100],
        ),
      );
      const identity = sets.find((s) => s.name === "mnist_c/identity")!;
      const digits = takeFirst(await loadMnist(MNIST_DIR!, "test"), 100);
      assert.deepEqual(identity.split.images, digits.images);
      assert.deepEqual(identity.split.labels, digits.labels);
      const shotDir = join(exported, "shot_noise");
      const [asIdx] = (await loadTestSets(join(shotDir, "idx"))).sets;
      const asNpy = sets.find((s) => s.name === "mnist_c/shot_noise")!;
      assert.equal(asIdx.format, "idx");
      assert.deepEqual(asIdx.split.images, asNpy.split.images);
      // Exported at MNIST-C's severity: the sweep's cell at that severity.
      const onExport = await run(
        "evaluate",
        ...dd,
        "--model",
        "dense",
        "--test",
        exported,
        "--json",
        "--out",
        join(dataDir, "eval2.json"),
      );
      assert.equal(onExport.code, 0, onExport.stderr);
      const swept = await readResults(dataDir);
      for (const r of (JSON.parse(onExport.stdout) as EvaluationFile).results) {
        const name = r.testSet.slice("mnist_c/".length);
        const c = MNIST_C_CORRUPTIONS.find((c) => c.name === name);
        const expected = c
          ? swept.models[0].corruptions[name][c.defaultSeverity - 1]
          : swept.models[0].clean;
        assert.equal(r.accuracy, expected.accuracy, name);
        assert.equal(r.loss, expected.loss, name);
      }
      // --severity 1: another set (shot noise is published at 5).
      const one = join(dataDir, "one");
      const exp1 = await run(
        "robustness",
        ...dd,
        "--export",
        one,
        "--severity",
        "1",
        "--limit",
        "100",
      );
      assert.equal(exp1.code, 0, exp1.stderr);
      const [shot1] = (await loadTestSets(join(one, "shot_noise"))).sets;
      assert.notDeepEqual(shot1.split.images, asNpy.split.images);

      // A retrained model is swept again.
      const retrain = await run(
        "train_dense",
        ...dd,
        "--limit",
        "1000",
        "--epochs",
        "1",
        "--seed",
        "7",
      );
      assert.equal(retrain.code, 0, retrain.stderr);
      const third = await run("robustness", ...dd, "--limit", "100");
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stderr, /running because: inputs changed/);
      assert.equal(
        (await readResults(dataDir)).models[0].manifestSha256,
        await sha256File(join(modelDir, "manifest.json")),
      );

      // An edited model file is refused, naming it; the results stay.
      const before = await Deno.readTextFile(manifestPath);
      const weights = join(modelDir, "weights.bin");
      const bytes = await Deno.readFile(weights);
      bytes[0] ^= 1;
      await Deno.writeFile(weights, bytes);
      const refused = await run(
        "robustness",
        ...dd,
        "--limit",
        "100",
        "--force",
      );
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /^error: .*weights\.bin does not match/m);
      assert.equal(await Deno.readTextFile(manifestPath), before);
    });
  },
});

/**
 * The evaluate stage: parallel evaluation equals one thread, model files
 * checked against their manifest, test-set folders in every layout, and
 * `deno task evaluate` end to end on a tiny trained model.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError, MissingInputError } from "../lib/core/errors.ts";
import { hashFiles, writeManifest } from "../lib/core/manifest.ts";
import { tf } from "../lib/core/tf.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { EVALUATE_SCRIPT } from "../lib/cli/evaluate.ts";
import { writeIdx } from "../lib/data/idx.ts";
import { loadMnist, type MnistSplit, takeFirst } from "../lib/data/mnist.ts";
import {
  findTestSets,
  loadTestSet,
  loadTestSets,
  writeNpyTestSet,
} from "../lib/data/testset.ts";
import {
  evaluateSplit,
  predictProbabilities,
} from "../lib/evaluate/evaluate.ts";
import {
  evaluateModel,
  Evaluator,
  metricsFromProbabilities,
} from "../lib/evaluate/evaluator.ts";
import {
  findTrainedModels,
  modelFilesOf,
  modelFromFiles,
  readModelFiles,
} from "../lib/evaluate/model_files.ts";
import type { EvaluationFile } from "../lib/evaluate/stage.ts";
import { saveModel } from "../lib/train/model_io.ts";
import { buildCnn, buildDense } from "../lib/train/models.ts";
import {
  listDir,
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  TASK_PERMISSIONS,
  withTempDir,
} from "./helpers.ts";

/** `count` digits of deterministic pseudo-random pixels, labels i mod 10. */
function syntheticSplit(count: number): MnistSplit {
  let state = 12345;
  const images = Uint8Array.from({ length: count * 784 }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels, count, rows: 28, cols: 28 };
}

const bits = (values: Float32Array) =>
  new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** Save `model` into `dir` with a training-style manifest. */
async function saveWithManifest(model: tf.LayersModel, dir: string) {
  await saveModel(model, dir);
  await writeManifest(dir, {
    stage: "train:test",
    params: {},
    inputs: {},
    outputs: await hashFiles(dir, ["model.json", "weights.bin"]),
    versions: { deno: Deno.version.deno, v8: Deno.version.v8 },
    startedAt: new Date().toISOString(),
    seconds: 0,
  });
}

Deno.test(
  "evaluate: a CNN on two threads gives exactly the one-thread probabilities",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const cnn = buildCnn(3);
      await saveModel(cnn, dir);
      cnn.dispose();
      const files = await readModelFiles(dir);
      assert.equal(files.manifestSha256, null);
      const evaluator = await Evaluator.open(files, {
        threads: 2,
        batchSize: 40,
      });
      try {
        // 230 images: five full batches and a last one of 30.
        const split = syntheticSplit(230);
        const single = predictProbabilities(
          evaluator.model,
          split,
          undefined,
          40,
        );
        const { probabilities, metrics } = await evaluator.evaluate(split);
        assert.equal(evaluator.lastBatches.reduce((a, b) => a + b), 6);
        assert.ok(
          evaluator.lastBatches.every((batches) => batches > 0),
          `a thread computed no batch: ${evaluator.lastBatches}`,
        );
        assert.deepEqual(bits(probabilities), bits(single));
        assert.deepEqual(
          metrics,
          metricsFromProbabilities(single, split.labels).metrics,
        );
        // Two batches: one each.
        assert.deepEqual(
          bits(await evaluator.probabilities(takeFirst(split, 80))),
          bits(single.subarray(0, 800)),
        );
        assert.deepEqual(evaluator.lastBatches, [1, 1]);
        // A split smaller than two batches: this thread alone.
        const small = takeFirst(split, 40);
        assert.deepEqual(
          bits(await evaluator.probabilities(small)),
          bits(single.subarray(0, 400)),
        );
        assert.deepEqual(evaluator.lastBatches, [1]);
      } finally {
        evaluator.close();
      }
    });
  },
);

Deno.test(
  "evaluateModel: an in-memory CNN on two threads gives evaluateSplit's numbers bit for bit",
  NEEDS_PERMISSIONS,
  async () => {
    const cnn = buildCnn(3);
    // Every weight away from its initial value, BatchNorm's moving
    // statistics included, so a weight lost on the way to the worker shows.
    cnn.setWeights(
      cnn.getWeights().map((w, i) =>
        /variance/.test(cnn.weights[i].name)
          ? w.mul(tf.randomUniform(w.shape, 0.5, 2, "float32", i))
          : w.add(tf.randomUniform(w.shape, -0.05, 0.05, "float32", i))
      ),
    );
    try {
      const files = await modelFilesOf(cnn, "cnn");
      const copy = await modelFromFiles(files);
      assert.equal(copy.getWeights().length, cnn.getWeights().length);
      copy.dispose();
      const split = syntheticSplit(230);
      const other = takeFirst(syntheticSplit(90), 90);
      const results = await evaluateModel(cnn, "cnn", [split, other], {
        threads: 2,
        batchSize: 40,
      });
      for (const [i, s] of [split, other].entries()) {
        const single = evaluateSplit(cnn, s, 40);
        assert.deepEqual(results[i].metrics, single.metrics);
        assert.deepEqual(
          results[i].predictions.predicted,
          single.predictions.predicted,
        );
        assert.deepEqual(
          bits(results[i].predictions.confidence),
          bits(single.predictions.confidence),
        );
        assert.ok(results[i].imagesPerSecond > 0);
      }
    } finally {
      cnn.dispose();
    }
  },
);

Deno.test(
  "evaluate: threads default to two for a CNN (on two cores), one for the dense net",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      for (
        const [name, build] of [["dense", buildDense], [
          "cnn",
          buildCnn,
        ]] as const
      ) {
        const model = build(1);
        await saveModel(model, join(dir, name));
        model.dispose();
        const evaluator = await Evaluator.open(
          await readModelFiles(join(dir, name)),
        );
        const cores = navigator.hardwareConcurrency;
        assert.equal(
          evaluator.threads,
          name === "cnn" ? Math.min(2, cores) : 1,
        );
        evaluator.close();
      }
    });
  },
);

Deno.test(
  "evaluate: model files must match their manifest; a model must map 28×28×1 to 10 classes",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const model = buildDense(2);
      await saveWithManifest(model, dir);
      model.dispose();
      const task = "deno task train:dense";
      const files = await readModelFiles(dir, { task });
      assert.match(files.manifestSha256 ?? "", /^[0-9a-f]{64}$/);
      assert.deepEqual(Object.keys(files.sha256), [
        "model.json",
        "weights.bin",
      ]);

      const expectError = async (kind: typeof DataError, message: RegExp) => {
        await assert.rejects(readModelFiles(dir, { task }), (error: Error) => {
          assert.ok(error instanceof kind, String(error));
          assert.ok(!error.message.includes("\n"), error.message);
          assert.match(error.message, message);
          return true;
        });
      };
      // One byte of the weights changed.
      const weightsPath = join(dir, "weights.bin");
      const weights = await Deno.readFile(weightsPath);
      weights[100] ^= 1;
      await Deno.writeFile(weightsPath, weights);
      await expectError(
        DataError,
        /weights\.bin does not match .*manifest\.json \(edited or left by an interrupted run\); run `deno task train:dense --force`$/,
      );
      // A manifest that does not record the weights.
      const manifestPath = join(dir, "manifest.json");
      const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
      delete manifest.outputs["weights.bin"];
      await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
      await expectError(DataError, /weights\.bin is not recorded in /);
      // No manifest: required for a training stage's folder, else unchecked.
      await Deno.remove(manifestPath);
      await expectError(
        MissingInputError,
        /manifest\.json is missing; run `deno task train:dense`$/,
      );
      assert.equal((await readModelFiles(dir)).manifestSha256, null);

      // A model that takes flat 784-pixel vectors is refused by shape.
      const flat = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [784], units: 10 })],
      });
      const flatDir = join(dir, "flat");
      await saveModel(flat, flatDir);
      flat.dispose();
      await assert.rejects(
        modelFromFiles(await readModelFiles(flatDir)),
        /model\.json: the model maps \(N, 784\) to \(N, 10\); evaluation needs \(N, 28, 28, 1\) images/,
      );
    });
  },
);

Deno.test(
  "test sets: IDX in both name styles and .npy load alike; a root's subfolders are each a test set",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (root) => {
      const split = syntheticSplit(12);
      const idx = (name: string, data: Uint8Array, shape: number[]) =>
        writeIdx(join(root, name), { dtype: "uint8", shape, data });
      await idx("a/t10k-images-idx3-ubyte.gz", split.images, [12, 28, 28]);
      await idx("a/t10k-labels-idx1-ubyte.gz", split.labels, [12]);
      await idx("b/test-images-idx3-ubyte", split.images, [12, 28, 28]);
      await idx("b/test-labels-idx1-ubyte", split.labels, [12]);
      await writeNpyTestSet(join(root, "c"), split, { labelDtype: "int64" });
      await Deno.mkdir(join(root, "notes"));
      await Deno.mkdir(join(root, ".cache"));
      await writeNpyTestSet(join(root, ".cache"), split);

      const found = await findTestSets(root);
      assert.equal(found.root, true);
      assert.deepEqual(found.dirs, ["a", "b", "c"].map((d) => join(root, d)));
      const { sets } = await loadTestSets(root, { name: "mnist_c" });
      assert.deepEqual(sets.map((s) => s.name), [
        "mnist_c/a",
        "mnist_c/b",
        "mnist_c/c",
      ]);
      assert.deepEqual(sets.map((s) => s.format), ["idx", "idx", "npy"]);
      for (const set of sets) assert.deepEqual(set.split, split, set.name);
      assert.deepEqual(await findTestSets(join(root, "a")), {
        dirs: [join(root, "a")],
        root: false,
      });

      const refuses = async (
        dir: string,
        kind: typeof DataError,
        re: RegExp,
      ) => {
        await assert.rejects(loadTestSet(dir), (error: Error) => {
          assert.ok(error instanceof kind, String(error));
          assert.ok(!error.message.includes("\n"), error.message);
          assert.match(error.message, re);
          return true;
        });
      };
      // Half an IDX pair names the missing file.
      await Deno.remove(join(root, "b", "test-labels-idx1-ubyte"));
      await refuses(
        join(root, "b"),
        MissingInputError,
        /b\/test-labels-idx1-ubyte is missing \(its pair is there\)$/,
      );
      // IDX and .npy in one folder: ambiguous.
      await writeNpyTestSet(join(root, "a"), split);
      await refuses(
        join(root, "a"),
        DataError,
        /holds both an IDX and a \.npy test set/,
      );
      // A folder's manifest vouches for its files.
      await writeManifest(join(root, "c"), {
        stage: "export",
        params: {},
        inputs: {},
        outputs: await hashFiles(join(root, "c"), ["test_images.npy"]),
        versions: { deno: "", v8: "" },
        startedAt: "",
        seconds: 0,
      });
      assert.equal((await loadTestSet(join(root, "c"))).split.count, 12);
      await writeNpyTestSet(join(root, "c"), takeFirst(split, 11));
      await refuses(
        join(root, "c"),
        DataError,
        /c\/test_images\.npy does not match .*c\/manifest\.json/,
      );
      await refuses(
        join(root, "notes"),
        MissingInputError,
        /notes: no test set/,
      );
    });
  },
);

Deno.test("evaluate flags: --model and --test repeat; absent they are empty", () => {
  const flags = parseFlags(
    ["--model", "dense", "--model", "/m/x", "--test", "t", "--limit", "5"],
    EVALUATE_SCRIPT,
  );
  assert.deepEqual(flags?.model, ["dense", "/m/x"]);
  assert.deepEqual(flags?.test, ["t"]);
  assert.equal(flags?.limit, 5);
  const none = parseFlags([], EVALUATE_SCRIPT);
  assert.deepEqual([none?.model, none?.test, none?.json], [[], [], false]);
});

/** A script with the evaluate task's permissions (and fetch's network). */
function run(script: string, ...args: string[]) {
  return runScript(script, args, [
    ...TASK_PERMISSIONS,
    "--allow-ffi",
    "--allow-net",
  ]);
}

Deno.test({
  name:
    "deno task evaluate: a tiny trained dense net on noisy, clean and a root of IDX/.npy sets; table, JSON, refusal",
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

      // Defaults: the trained model(s) on the noisy and clean splits.
      const first = await run("evaluate", ...dd);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /cnn is not trained/);
      const lines = first.stdout.trim().split("\n");
      assert.match(
        lines[0],
        /^model +test set +accuracy +95 % CI +loss +images$/,
      );
      assert.equal(lines.length, 3, first.stdout);
      assert.match(
        lines[1],
        /^dense +noisy +\d+\.\d\d % +\d+\.\d\d–\d+\.\d\d % +\d\.\d{4} +1,000$/,
      );
      assert.match(lines[2], /^dense +clean .* 10,000$/);
      const [name] = await listDir(join(dataDir, "evaluations"));
      assert.match(name, /^eval-[0-9a-f]{12}\.json$/);
      const file: EvaluationFile = JSON.parse(
        await Deno.readTextFile(join(dataDir, "evaluations", name)),
      );
      // The same probabilities as the training stage's own evaluation.
      const metrics = JSON.parse(
        await Deno.readTextFile(
          join(dataDir, "models", "dense", "metrics.json"),
        ),
      );
      const [noisy, clean] = file.results;
      assert.equal(noisy.accuracy, metrics.test.noisy.accuracy);
      assert.equal(noisy.loss, metrics.test.noisy.loss);
      assert.equal(clean.loss, metrics.test.clean.loss);
      assert.ok(lines[1].includes(`${(noisy.accuracy * 100).toFixed(2)} %`));

      // A root with the same 300 clean digits as IDX and as .npy.
      const root = join(dataDir, "sets");
      const digits = takeFirst(await loadMnist(MNIST_DIR!, "test"), 300);
      await writeNpyTestSet(join(root, "as_npy"), digits);
      await writeIdx(join(root, "as_idx", "test-images-idx3-ubyte"), {
        dtype: "uint8",
        shape: [300, 28, 28],
        data: digits.images,
      });
      await writeIdx(join(root, "as_idx", "test-labels-idx1-ubyte"), {
        dtype: "uint8",
        shape: [300],
        data: digits.labels,
      });
      const out = join(dataDir, "out.json");
      const second = await run(
        "evaluate",
        ...dd,
        "--model",
        "dense",
        "--test",
        root,
        "--test",
        "clean",
        "--limit",
        "200",
        "--json",
        "--out",
        out,
      );
      assert.equal(second.code, 0, second.stderr);
      const json: EvaluationFile = JSON.parse(second.stdout);
      assert.deepEqual(json, JSON.parse(await Deno.readTextFile(out)));
      assert.deepEqual(
        json.results.map((r) => [r.testSet, r.count]),
        [["sets/as_idx", 200], ["sets/as_npy", 200], ["clean", 200]],
      );
      const [asIdx, asNpy, clean200] = json.results;
      assert.deepEqual(
        [asIdx.correct, asIdx.loss],
        [asNpy.correct, asNpy.loss],
      );
      assert.deepEqual([asIdx.correct, asIdx.loss], [
        clean200.correct,
        clean200.loss,
      ]);
      assert.deepEqual(json.means, [{
        model: "dense",
        root: "sets",
        testSets: 2,
        accuracy: asIdx.accuracy,
        loss: (asIdx.loss + asNpy.loss) / 2,
        count: 400,
      }]);

      // The table shows the root's mean after its rows.
      const third = await run(
        "evaluate",
        ...dd,
        "--test",
        root,
        "--limit",
        "50",
      );
      assert.equal(third.code, 0, third.stderr);
      const rows = third.stdout.trim().split("\n").map((l) =>
        l.split(/ {2,}/)[1]
      );
      assert.deepEqual(rows.slice(1), [
        "sets/as_idx",
        "sets/as_npy",
        "sets (mean of 2)",
      ]);

      // Edited weights: refused before anything is evaluated, in one line.
      const weightsPath = join(dataDir, "models", "dense", "weights.bin");
      const weights = await Deno.readFile(weightsPath);
      weights[weights.length - 1] ^= 0x40;
      await Deno.writeFile(weightsPath, weights);
      const refused = await run("evaluate", ...dd, "--model", "dense");
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, "");
      assert.deepEqual(refused.stderr.trim().split("\n"), [
        `error: ${weightsPath} does not match ${
          join(dataDir, "models", "dense", "manifest.json")
        } (edited or left by an interrupted run); run \`deno task train:dense --force\``,
      ]);
    });
  },
});

Deno.test(
  "findTrainedModels: study models first, then others by name; a symlinked model folder counts, an unfinished one does not",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const models = join(dir, "models");
      const manifest = (name: string) =>
        Deno.writeTextFile(join(models, name, "manifest.json"), "{}");
      for (const name of ["zeta", "cnn-robust", "cnn", "dense", "unfinished"]) {
        await Deno.mkdir(join(models, name), { recursive: true });
        if (name !== "unfinished") await manifest(name);
      }
      // A model trained in another data folder, linked in.
      const elsewhere = join(dir, "elsewhere", "dense-robust");
      await Deno.mkdir(elsewhere, { recursive: true });
      await Deno.writeTextFile(join(elsewhere, "manifest.json"), "{}");
      await Deno.symlink(elsewhere, join(models, "dense-robust"));
      // A link to a file is not a model folder.
      await Deno.writeTextFile(join(dir, "file"), "x");
      await Deno.symlink(join(dir, "file"), join(models, "file-link"));
      await Deno.symlink(join(dir, "gone"), join(models, "dangling"));
      assert.deepEqual(await findTrainedModels(dir), [
        "dense",
        "cnn",
        "cnn-robust",
        "dense-robust",
        "zeta",
      ]);
      assert.deepEqual(await findTrainedModels(join(dir, "nowhere")), []);
    });
  },
);

import assert from "node:assert/strict";
import { initBackend } from "../lib/kernels/backend.ts";
import { loadMnist, takeFirst } from "../lib/data/mnist.ts";
import { RECIPES } from "../lib/train/recipes.ts";
import {
  type EpochRecord,
  holdOut,
  inputStandardization,
  train,
} from "../lib/train/train.ts";
import {
  CheckpointError,
  readCheckpoint,
  writeCheckpoint,
} from "../lib/train/checkpoint.ts";
import { NoisyMnistError } from "../lib/core/errors.ts";
import { tf } from "../lib/core/tf.ts";
import { MNIST_DIR, withTempDir } from "./helpers.ts";

await initBackend("auto");

/** The deterministic part of an epoch record (not its timings). */
function numbers(history: EpochRecord[]) {
  return history.map(({ epoch, loss, accuracy, valLoss, valAccuracy, lr }) => ({
    epoch,
    loss,
    accuracy,
    valLoss,
    valAccuracy,
    lr,
  }));
}

Deno.test("the hold-out is a seeded 80/20 partition of the indices", () => {
  const a = holdOut(1000, 0.2, 1);
  assert.equal(a.train.length, 800);
  assert.equal(a.validation.length, 200);
  const all = new Set([...a.train, ...a.validation]);
  assert.equal(all.size, 1000);
  assert.deepEqual(holdOut(1000, 0.2, 1), a);
  assert.notDeepEqual(holdOut(1000, 0.2, 2).validation, a.validation);
});

Deno.test("standardised inputs use the training images' statistics only", () => {
  // Ten 2×2 images: image i is all i·25; the hold-out must not count.
  const images = Uint8Array.from(
    { length: 40 },
    (_, p) => Math.floor(p / 4) * 25,
  );
  const data = {
    images,
    labels: new Uint8Array(10),
    count: 10,
    rows: 2,
    cols: 2,
  };
  const train = [0, 2, 4, 6, 8]; // values 0, 50, 100, 150, 200
  const standardized = { ...RECIPES.cnn, inputs: "standardized" as const };
  const stats = inputStandardization(standardized, data, train)!;
  assert.ok(Math.abs(stats.mean - 100 / 255) < 1e-12);
  assert.ok(Math.abs(stats.std - Math.sqrt(5000) / 255) < 1e-12);
  assert.equal(
    inputStandardization({ ...RECIPES.cnn, inputs: "unit" }, data, train),
    undefined,
  );
  const flat = { ...data, images: new Uint8Array(40).fill(7) };
  assert.throws(
    () => inputStandardization(standardized, flat, train),
    /all one colour; train with --inputs unit/,
  );
});

Deno.test({
  name:
    "resuming after a simulated interruption replays the uninterrupted run exactly",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const data = takeFirst(await loadMnist(MNIST_DIR!, "train"), 640);
    const recipe = { ...RECIPES.dense, epochs: 3, batchSize: 64, seed: 5 };
    const straight = await train({ recipe, data, fingerprint: "f" });
    const straightWeights = straight.model.getWeights().map((w) =>
      Array.from(w.dataSync())
    );
    straight.model.dispose();

    await withTempDir(async (dir) => {
      const checkpointPath = `${dir}/checkpoint.bin`;
      // Stop mid-epoch 2 (after 3 + 8 + 3 batches; 8 batches per epoch).
      let batches = 0;
      const first = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        onBatch: () => batches++,
        shouldStop: () => batches >= 11,
      });
      assert.ok(first.interrupted);
      assert.equal(first.epochsRun, 1);
      first.model.dispose();
      const resumed = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        resume: true,
      });
      assert.ok(!resumed.interrupted);
      assert.deepEqual(numbers(resumed.history), numbers(straight.history));
      const weights = resumed.model.getWeights().map((w) =>
        Array.from(w.dataSync())
      );
      assert.deepEqual(weights, straightWeights);
      resumed.model.dispose();

      // A checkpoint of other parameters is refused, not silently reused.
      await assert.rejects(
        train({
          recipe,
          data,
          fingerprint: "other",
          checkpointPath,
          resume: true,
        }),
        /other parameters/,
      );
      // "if-current" (the study's) sets it aside and trains from scratch:
      // the same run as a straight one with that fingerprint, and says so.
      const lines: string[] = [];
      const over = await train({
        recipe,
        data,
        fingerprint: "other",
        checkpointPath,
        resume: "if-current",
        onLog: (line) => lines.push(line),
      });
      assert.deepEqual(numbers(over.history), numbers(straight.history));
      over.model.dispose();
      assert.equal(lines.length, 1);
      assert.match(lines[0], /another run's.*starting over/);
      // Its own checkpoint it resumes, silently
      lines.length = 0;
      const own = await train({
        recipe,
        data,
        fingerprint: "other",
        checkpointPath,
        resume: "if-current",
        onLog: (line) => lines.push(line),
      });
      // (the checkpoint is of the finished run: nothing left to train).
      assert.deepEqual(numbers(own.history), numbers(straight.history));
      assert.deepEqual(lines, []);
      own.model.dispose();
    });
  },
});

Deno.test({
  name:
    "resuming from a checkpoint of the first epoch keeps the plateau schedule (Infinity survives JSON)",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const data = takeFirst(await loadMnist(MNIST_DIR!, "train"), 640);
    const recipe = {
      ...RECIPES.dense,
      epochs: 3,
      batchSize: 64,
      seed: 5,
      reduceLrOnPlateau: {
        factor: 0.5,
        patience: 1,
        minLr: 1e-5,
        minDelta: 1e-4,
      },
    };
    const straight = await train({ recipe, data, fingerprint: "f" });
    straight.model.dispose();
    await withTempDir(async (dir) => {
      const checkpointPath = `${dir}/checkpoint.bin`;
      let batches = 0;
      const first = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        onBatch: () => batches++,
        shouldStop: () => batches >= 3,
      });
      assert.ok(first.interrupted);
      first.model.dispose();
      const resumed = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        resume: true,
      });
      resumed.model.dispose();
      assert.deepEqual(numbers(resumed.history), numbers(straight.history));
    });
  },
});

/** Where `needle` first occurs in `bytes`, or -1. */
function indexOfBytes(bytes: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (bytes[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

Deno.test({
  name:
    "a changed checkpoint is refused on resume: flipped bit, NaN weight, edited epochsDone",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const data = takeFirst(await loadMnist(MNIST_DIR!, "train"), 640);
    const recipe = { ...RECIPES.dense, epochs: 3, batchSize: 64, seed: 5 };
    await withTempDir(async (dir) => {
      const checkpointPath = `${dir}/checkpoint.bin`;
      let batches = 0;
      const first = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        onBatch: () => batches++,
        shouldStop: () => batches >= 11,
      });
      // The first two floats of the first kernel locate the model's bytes.
      const firstWeights = new Float32Array(
        first.model.getWeights()[0].dataSync().slice(0, 2),
      );
      first.model.dispose();
      const good = await Deno.readFile(checkpointPath);
      const at = indexOfBytes(good, new Uint8Array(firstWeights.buffer));
      assert.ok(at > 0);
      const text = new TextDecoder().decode(good);
      const epochsAt = text.indexOf('"epochsDone":1,');
      assert.ok(epochsAt > 0);

      const tampered: Record<string, Uint8Array> = {
        "flipped bit": good.slice(),
        "NaN weight": good.slice(),
        "edited epochsDone": good.slice(),
      };
      tampered["flipped bit"][at] ^= 1;
      new DataView(tampered["NaN weight"].buffer).setFloat32(at, NaN, true);
      tampered["edited epochsDone"][epochsAt + '"epochsDone":'.length] = "3"
        .charCodeAt(0);
      // A checkpoint of the format before checksums (no NMCKPT2 seal).
      tampered["unsealed"] = good.slice(8 + 32);
      for (const [what, bytes] of Object.entries(tampered)) {
        await Deno.writeFile(checkpointPath, bytes);
        await assert.rejects(
          train({
            recipe,
            data,
            fingerprint: "f",
            checkpointPath,
            resume: true,
          }),
          (error: Error) => {
            assert.ok(error instanceof CheckpointError, `${what}: ${error}`);
            assert.match(error.message, /SHA-256 checksum/, what);
            assert.match(error.message, /drop --resume/, what);
            assert.doesNotMatch(error.message, /\n/, what);
            return true;
          },
          what,
        );
      }
    });
  },
});

Deno.test({
  name:
    "a non-finite loss stops training with one line naming the epoch and batch",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const data = takeFirst(await loadMnist(MNIST_DIR!, "train"), 640);
    const recipe = { ...RECIPES.dense, epochs: 3, batchSize: 64, seed: 5 };
    await withTempDir(async (dir) => {
      const checkpointPath = `${dir}/checkpoint.bin`;
      let batches = 0;
      // Stop after epoch 1 and 3 batches of epoch 2 (8 batches per epoch).
      const first = await train({
        recipe,
        data,
        fingerprint: "f",
        checkpointPath,
        onBatch: () => batches++,
        shouldStop: () => batches >= 11,
      });
      first.model.dispose();
      const good = await Deno.readFile(checkpointPath);
      // A NaN in the first kernel or the output bias is caught at the next
      // batch. wasm clips NaN probabilities to 1e-7, so there the loss stays
      // finite and the weights say it; the cpu backend's loss is NaN.
      const cases: [
        string,
        (count: number) => number,
        "auto" | "cpu",
        RegExp,
      ][] = [
        ["first kernel", () => 0, "auto", /weight is NaN|loss is NaN/],
        [
          "output bias",
          (count) => count - 1,
          "auto",
          /weight is NaN|loss is NaN/,
        ],
        ["output bias on cpu", (count) => count - 1, "cpu", /the loss is NaN/],
      ];
      for (const [what, pick, backend, why] of cases) {
        await initBackend(backend);
        // A checkpoint as written, with one weight NaN (checksum intact).
        await Deno.writeFile(checkpointPath, good);
        const { state, groups } = await readCheckpoint(checkpointPath);
        const i = pick(groups.model.length);
        const tensor = groups.model[i];
        const values = tensor.dataSync().slice();
        values[0] = NaN;
        groups.model[i] = tf.tensor(values, tensor.shape);
        tensor.dispose();
        await writeCheckpoint(checkpointPath, state, groups);
        Object.values(groups).flat().forEach((t) => t.dispose());

        await assert.rejects(
          train({
            recipe,
            data,
            fingerprint: "f",
            checkpointPath,
            resume: true,
          }),
          (error: Error) => {
            assert.ok(error instanceof NoisyMnistError, `${what}: ${error}`);
            assert.match(
              error.message,
              /^training diverged at epoch 2, batch 4\/8: .*; stopped without saving a model/,
              `${what}: ${error.message}`,
            );
            assert.match(error.message, why, what);
            assert.doesNotMatch(error.message, /\n/, what);
            return true;
          },
          what,
        );
      }
    }).finally(() => initBackend("auto"));
  },
});

import assert from "node:assert/strict";
import { tf } from "../lib/core/mod.ts";
import { initBackend } from "../lib/kernels/backend.ts";
import { DataParallel, shardSizes } from "../lib/train/data_parallel.ts";
import {
  gatherBatch,
  loadMnist,
  type MnistSplit,
  takeFirst,
} from "../lib/data/mnist.ts";
import { RECIPES } from "../lib/train/recipes.ts";
import { Replica } from "../lib/train/replica.ts";
import { keyedUniform } from "../lib/train/rng.ts";
import { type EpochRecord, holdOut, train } from "../lib/train/train.ts";
import {
  predictProbabilities,
  summarizeProbabilities,
} from "../lib/evaluate/evaluate.ts";
import { MNIST_DIR, NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

const backend = await initBackend("auto");

function numbers(history: EpochRecord[]) {
  return history.map(({ loss, accuracy, valLoss, valAccuracy, lr }) => ({
    loss,
    accuracy,
    valLoss,
    valAccuracy,
    lr,
  }));
}

Deno.test("shards are contiguous, nearly equal and cover the batch", () => {
  assert.deepEqual(shardSizes(32, 2), [16, 16]);
  assert.deepEqual(shardSizes(33, 2), [17, 16]);
  assert.deepEqual(shardSizes(5, 3), [2, 2, 1]);
  assert.deepEqual(shardSizes(1, 2), [1, 0]);
});

// RMSprop (the dense recipe's) and Adam (the CNN's; replicas apply it
// with the fused update in lib/kernels/adam.ts).
for (const optimizer of ["rmsprop", "adam"] as const) {
  Deno.test({
    name:
      `two replicas: reproducible, close to one replica, and resumable exactly (${optimizer})`,
    ignore: MNIST_DIR === undefined,
    async fn() {
      const data = takeFirst(await loadMnist(MNIST_DIR!, "train"), 1280);
      const recipe = {
        ...RECIPES.dense,
        optimizer,
        epochs: 2,
        batchSize: 64,
        seed: 3,
        replicas: 2,
      };
      const run = () =>
        train({
          recipe,
          data,
          fingerprint: "p",
          workers: 2,
          backend: backend.name,
        });
      const a = await run();
      const b = await run();
      assert.deepEqual(numbers(a.history), numbers(b.history));
      const single = await train({
        recipe: { ...recipe, replicas: 1 },
        data,
        fingerprint: "s",
      });
      // Same model and data; only dropout streams and summation order differ.
      const last = (h: EpochRecord[]) => h[h.length - 1];
      assert.ok(
        Math.abs(last(a.history).valLoss - last(single.history).valLoss) < 0.15,
        `2 replicas ${last(a.history).valLoss} vs 1 replica ${
          last(single.history).valLoss
        }`,
      );
      const weightsA = a.model.getWeights().map((w) =>
        Array.from(w.dataSync())
      );
      [a, b, single].forEach((r) => r.model.dispose());

      await withTempDir(async (dir) => {
        let batches = 0;
        const options = {
          recipe,
          data,
          fingerprint: "p",
          workers: 2,
          backend: backend.name,
          checkpointPath: `${dir}/checkpoint.bin`,
        };
        const first = await train({
          ...options,
          onBatch: () => batches++,
          shouldStop: () => batches >= 20,
        });
        assert.ok(first.interrupted);
        first.model.dispose();
        const resumed = await train({ ...options, resume: true });
        assert.deepEqual(numbers(resumed.history), numbers(a.history));
        assert.deepEqual(
          resumed.model.getWeights().map((w) => Array.from(w.dataSync())),
          weightsA,
        );
        resumed.model.dispose();
      });
    },
  });
}

/** `count` seeded noise images (28 × 28) with labels 0, 1, …, 9, 0, … */
function noiseSplit(count: number): MnistSplit {
  let state = 12345;
  const images = Uint8Array.from({ length: count * 784 }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  });
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels, count, rows: 28, cols: 28 };
}

function assertClose(actual: number, expected: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual}, expected ${expected}`,
  );
}

function flatWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

// Batches of every awkward size, fewer images than replicas included: a
// step's loss and correct count must be the image-weighted mean and sum
// over the non-empty shards (replica i's dropout stream on shard i), its
// update the image-weighted mean gradient, and a prediction the model's.
// The CNN: its conv and BatchNorm kernels are where an empty shard broke.
Deno.test(
  "data-parallel steps and predictions take any batch size, fewer images than replicas included",
  NEEDS_PERMISSIONS,
  async () => {
    const data = noiseSplit(64);
    const recipe = { ...RECIPES.cnn, inputs: "unit" as const, seed: 7 };
    for (const replicas of [2, 3]) {
      const local = new Replica(recipe);
      const reference = new Replica(recipe);
      const parallel = await DataParallel.start(
        local,
        replicas,
        backend.name,
        recipe,
        recipe.learningRate,
      );
      try {
        const sizes = [
          1,
          replicas - 1,
          replicas,
          replicas + 1,
          2 * replicas + 1,
        ];
        let next = 0;
        for (const [b, n] of [...new Set(sizes), 1, 9].entries()) {
          const picked = Array.from({ length: n }, () => next++ % data.count);
          const batch = gatherBatch(data, picked);
          const step = await parallel.step(batch, 28, 28, 0, b);

          let loss = 0;
          let correct = 0;
          let gradients: Float32Array | undefined;
          let statistics: Float32Array | undefined;
          let from = 0;
          // Every shard's pass starts from the same BatchNorm statistics.
          const before = reference.readStatistics();
          for (const [i, size] of shardSizes(n, replicas).entries()) {
            if (size === 0) continue;
            reference.writeStatistics(before);
            const xs = tf.tensor4d(
              batch.pixels.slice(from * 784, (from + size) * 784),
              [size, 28, 28, 1],
            );
            const ys = tf.tensor2d(
              batch.oneHot.slice(from * 10, (from + size) * 10),
              [size, 10],
            );
            const shard = reference.shardGradients(
              xs,
              ys,
              keyedUniform(recipe.seed, "dropout", 0, b, i),
            );
            tf.dispose([xs, ys]);
            from += size;
            loss += shard.loss * size / n;
            correct += shard.correct;
            gradients ??= new Float32Array(shard.gradients.length);
            statistics ??= new Float32Array(shard.statistics.length);
            for (let j = 0; j < gradients.length; j++) {
              gradients[j] += size / n * shard.gradients[j];
            }
            for (let j = 0; j < statistics.length; j++) {
              statistics[j] += size / n * shard.statistics[j];
            }
          }
          reference.applyGradients(gradients!, statistics!);
          const what = `${replicas} replicas, batch ${b} of ${n}`;
          assertClose(step.loss, loss, `${what}: loss`);
          assert.equal(step.correct, correct, `${what}: correct`);

          const expected = tf.tidy(() =>
            reference.model.predict(
              tf.tensor4d(batch.pixels, [n, 28, 28, 1]),
            ) as tf.Tensor
          );
          const got = await parallel.predict(batch.pixels, n, 28, 28);
          const want = expected.dataSync();
          expected.dispose();
          assert.equal(got.length, want.length);
          got.forEach((p, j) => assertClose(p, want[j], `${what}: p[${j}]`));
        }
        const after = flatWeights(local.model);
        flatWeights(reference.model).forEach((w, i) =>
          w.forEach((v, j) => assertClose(after[i][j], v, `weight ${i}[${j}]`))
        );
        assert.equal(
          (await parallel.predict(new Float32Array(0), 0, 28, 28)).length,
          0,
        );
      } finally {
        parallel.close();
        local.dispose();
        reference.dispose();
      }
    }
  },
);

// Whole runs whose last batch (k·batch + 1 or replicas − 1 images) and
// last validation chunk (of 1,000) are smaller than the replica count;
// one is also interrupted inside its second epoch and resumed.
Deno.test(
  "data-parallel training takes an epoch's last batch and validation chunk smaller than the replica count",
  NEEDS_PERMISSIONS,
  async () => {
    const cases = [
      // 4,004 training images = 4,003 + 1; validation 1,001 = 1,000 + 1.
      { count: 5005, batchSize: 4003, replicas: 2 },
      // 9 training images = 2·4 + 1; 2 validation images.
      { count: 11, batchSize: 4, replicas: 3, resume: true },
      // 2 training images = 0·4 + 2; validation 1,002 = 1,000 + 2.
      { count: 1004, batchSize: 4, replicas: 3, validationSplit: 0.998 },
    ];
    for (
      const { count, batchSize, replicas, validationSplit, resume } of cases
    ) {
      const data = noiseSplit(count);
      const recipe = {
        ...RECIPES.dense,
        epochs: resume ? 2 : 1,
        batchSize,
        validationSplit: validationSplit ?? 0.2,
        seed: 3,
      };
      const split = holdOut(count, recipe.validationSplit, recipe.seed);
      const options = {
        recipe,
        data,
        fingerprint: "odd",
        workers: replicas,
        backend: backend.name,
      };
      const result = await train(options);
      const what =
        `${count} images, batches of ${batchSize}, ${replicas} replicas`;
      for (const record of result.history) {
        assert.ok(Number.isFinite(record.loss), `${what}: loss ${record.loss}`);
        const correct = record.accuracy * split.train.length;
        assert.ok(
          record.accuracy >= 0 && record.accuracy <= 1 &&
            Math.abs(correct - Math.round(correct)) < 1e-6,
          `${what}: accuracy ${record.accuracy}`,
        );
      }
      // The last epoch's validation is the returned model's, image-weighted.
      const validation = summarizeProbabilities(
        predictProbabilities(result.model, data, split.validation),
        Uint8Array.from(split.validation, (i) => data.labels[i]),
      );
      const last = result.history[result.history.length - 1];
      assertClose(last.valLoss, validation.loss, `${what}: valLoss`);
      assertClose(
        last.valAccuracy,
        validation.accuracy,
        `${what}: valAccuracy`,
      );
      if (resume) {
        await withTempDir(async (dir) => {
          let batches = 0;
          const checkpointed = {
            ...options,
            checkpointPath: `${dir}/checkpoint.bin`,
          };
          const first = await train({
            ...checkpointed,
            onBatch: () => batches++,
            shouldStop: () => batches >= 4,
          });
          assert.ok(first.interrupted);
          first.model.dispose();
          const resumed = await train({ ...checkpointed, resume: true });
          assert.deepEqual(numbers(resumed.history), numbers(result.history));
          assert.deepEqual(
            flatWeights(resumed.model),
            flatWeights(result.model),
          );
          resumed.model.dispose();
        });
      }
      result.model.dispose();
    }
  },
);

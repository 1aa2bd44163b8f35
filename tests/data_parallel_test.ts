import assert from "assert";
import { initBackend } from "../lib/kernels/backend.ts";
import { shardSizes } from "../lib/train/data_parallel.ts";
import { loadMnist, takeFirst } from "../lib/data/mnist.ts";
import { RECIPES } from "../lib/train/recipes.ts";
import { type EpochRecord, train } from "../lib/train/train.ts";
import { MNIST_DIR, withTempDir } from "./helpers.ts";

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

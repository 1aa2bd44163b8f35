import assert from "node:assert/strict";
import { DataError } from "../lib/core/errors.ts";
import { decodeIdx, encodeIdx } from "../lib/data/idx.ts";
import {
  gatherBatch,
  labelHistogram,
  loadMnist,
  splitFromIdx,
  takeFirst,
} from "../lib/data/mnist.ts";
import { toTensors } from "../lib/train/tensors.ts";
import { MNIST_DIR } from "./helpers.ts";

// Label histograms of the real MNIST splits, as published.
const TRAIN_HISTOGRAM = [
  5923,
  6742,
  5958,
  6131,
  5842,
  5421,
  5918,
  6265,
  5851,
  5949,
];
const TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

Deno.test({
  name:
    "real MNIST loads as 60,000/10,000 images of 28×28 with the known label histograms",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const train = await loadMnist(MNIST_DIR!, "train");
    const test = await loadMnist(MNIST_DIR!, "test");
    assert.deepEqual([train.count, train.rows, train.cols], [60000, 28, 28]);
    assert.deepEqual([test.count, test.rows, test.cols], [10000, 28, 28]);
    assert.equal(train.images.length, 60000 * 784);
    assert.deepEqual(labelHistogram(train.labels), TRAIN_HISTOGRAM);
    assert.deepEqual(labelHistogram(test.labels), TEST_HISTOGRAM);
    // The first training digit is a 5 whose pixels sum to a known value.
    assert.equal(train.labels[0], 5);
    assert.equal(
      train.images.subarray(0, 784).reduce((a, b) => a + b, 0),
      27525,
    );
  },
});

function tinyIdx(count: number, labels: number[]) {
  return {
    images: decodeIdx(
      encodeIdx({
        dtype: "uint8",
        shape: [count, 2, 2],
        data: Uint8Array.from({ length: count * 4 }, (_, i) => i),
      }),
    ),
    labels: decodeIdx(
      encodeIdx({
        dtype: "uint8",
        shape: [labels.length],
        data: Uint8Array.from(labels),
      }),
    ),
  };
}

Deno.test("a split refuses mismatched counts, labels outside 0–9 and wrong ranks", () => {
  const mismatch = tinyIdx(3, [1, 2]);
  assert.throws(
    () => splitFromIdx(mismatch.images, mismatch.labels),
    DataError,
  );
  const badLabel = tinyIdx(2, [1, 10]);
  assert.throws(
    () => splitFromIdx(badLabel.images, badLabel.labels),
    /label 10 at index 1/,
  );
  const ok = tinyIdx(2, [1, 9]);
  assert.throws(() => splitFromIdx(ok.labels, ok.labels), /rank 3/);
  assert.equal(splitFromIdx(ok.images, ok.labels).count, 2);
});

Deno.test("a batch is scaled to [0, 1] with one-hot labels, in index order", async () => {
  const { images, labels } = tinyIdx(3, [4, 0, 9]);
  const split = splitFromIdx(images, labels);
  const batch = gatherBatch(split, [2, 0]);
  assert.equal(batch.n, 2);
  assert.deepEqual(
    [...batch.pixels],
    [8, 9, 10, 11, 0, 1, 2, 3].map((v) => Math.fround(v / 255)),
  );
  assert.deepEqual([...batch.oneHot.subarray(0, 10)], [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
  ]);
  assert.deepEqual([...batch.oneHot.subarray(10)], [
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.throws(() => gatherBatch(split, [3]), RangeError);
  assert.equal(takeFirst(split, 2).count, 2);

  const { xs, ys } = toTensors(split);
  assert.deepEqual(xs.shape, [3, 2, 2, 1]);
  assert.deepEqual(ys.shape, [3, 10]);
  assert.deepEqual(await ys.argMax(1).array(), [4, 0, 9]);
  assert.equal((await xs.max().data())[0], Math.fround(11 / 255));
  xs.dispose();
  ys.dispose();
});

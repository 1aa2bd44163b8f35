/**
 * MNIST batches as TensorFlow.js tensors.
 *
 * @module
 */

import { tf } from "../core/mod.ts";
import { gatherBatch, type MnistSplit, NUM_CLASSES } from "../data/mod.ts";

/** Images `[n, rows, cols, 1]` in [0, 1] and one-hot labels `[n, 10]`. */
export interface TensorBatch {
  /** Images, `[n, rows, cols, 1]` float32 in [0, 1]. */
  xs: tf.Tensor4D;
  /** One-hot labels, `[n, 10]`. */
  ys: tf.Tensor2D;
}

/**
 * Convert the images at `indices` (default: all) to tensors. The caller
 * owns the tensors and must dispose them.
 */
export function toTensors(
  split: MnistSplit,
  indices?: ArrayLike<number>,
): TensorBatch {
  const picked = indices ?? Array.from({ length: split.count }, (_, i) => i);
  const { pixels, oneHot, n } = gatherBatch(split, picked);
  return {
    xs: tf.tensor4d(pixels, [n, split.rows, split.cols, 1]),
    ys: tf.tensor2d(oneHot, [n, NUM_CLASSES]),
  };
}

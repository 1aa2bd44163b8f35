/**
 * Evaluating a trained model on a split: class probabilities in batches,
 * then loss, accuracy, confusion matrix and per-class metrics computed on
 * plain arrays (see `metrics.ts`).
 *
 * @module
 */

import { PREDICT_CHUNK, tf } from "../core/mod.ts";
import { gatherBatch, type MnistSplit, NUM_CLASSES } from "../data/mod.ts";
import {
  accuracyOf,
  type ClassMetrics,
  type ConfusionMatrix,
  confusionMatrix,
  macroF1,
  perClassMetrics,
} from "./metrics.ts";

/** Keras clips probabilities to [ε, 1-ε] before the log; so do we. */
const EPSILON = 1e-7;

/**
 * Class probabilities `[n * 10]` for the images at `indices` (default: all),
 * in inference mode, `batchSize` images at a time.
 */
export function predictProbabilities(
  model: tf.LayersModel,
  split: MnistSplit,
  indices?: ArrayLike<number>,
  batchSize = 1000,
): Float32Array {
  const picked = indices ??
    Int32Array.from({ length: split.count }, (_, i) => i);
  const out = new Float32Array(picked.length * NUM_CLASSES);
  for (let start = 0; start < picked.length; start += batchSize) {
    const end = Math.min(start + batchSize, picked.length);
    const chunk = Array.prototype.slice.call(picked, start, end) as number[];
    const { pixels, n } = gatherBatch(split, chunk);
    const probabilities = tf.tidy(() =>
      model.predict(tf.tensor4d(pixels, [n, split.rows, split.cols, 1]), {
        batchSize: Math.min(n, PREDICT_CHUNK),
      }) as tf.Tensor
    );
    out.set(probabilities.dataSync() as Float32Array, start * NUM_CLASSES);
    probabilities.dispose();
  }
  return out;
}

/** Predicted class, its probability, and the loss of each image. */
export interface Predictions {
  /** Arg-max class per image. */
  predicted: Uint8Array;
  /** Probability of the predicted class per image. */
  confidence: Float32Array;
  /** Mean categorical cross-entropy. */
  loss: number;
  /** Fraction predicted correctly. */
  accuracy: number;
}

/** Turn probabilities and true labels into predictions, loss and accuracy. */
export function summarizeProbabilities(
  probabilities: Float32Array,
  labels: ArrayLike<number>,
): Predictions {
  const n = labels.length;
  const predicted = new Uint8Array(n);
  const confidence = new Float32Array(n);
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * NUM_CLASSES;
    let best = 0;
    for (let c = 1; c < NUM_CLASSES; c++) {
      if (probabilities[row + c] > probabilities[row + best]) best = c;
    }
    predicted[i] = best;
    confidence[i] = probabilities[row + best];
    const p = Math.min(
      Math.max(probabilities[row + labels[i]], EPSILON),
      1 - EPSILON,
    );
    lossSum -= Math.log(p);
    if (best === labels[i]) correct++;
  }
  return {
    predicted,
    confidence,
    loss: n === 0 ? 0 : lossSum / n,
    accuracy: n === 0 ? 0 : correct / n,
  };
}

/** Test metrics of a model on one split. */
export interface SplitMetrics {
  /** Number of images evaluated. */
  count: number;
  /** Mean categorical cross-entropy. */
  loss: number;
  /** Fraction correct. */
  accuracy: number;
  /** `confusion[true][predicted]`. */
  confusion: ConfusionMatrix;
  /** Precision, recall, F1 and support per digit. */
  perClass: ClassMetrics[];
  /** Unweighted mean F1 over the digits. */
  macroF1: number;
}

/** Evaluate `model` on a whole split; also returns per-image predictions. */
export function evaluateSplit(
  model: tf.LayersModel,
  split: MnistSplit,
  batchSize = 1000,
): { metrics: SplitMetrics; predictions: Predictions } {
  const probabilities = predictProbabilities(
    model,
    split,
    undefined,
    batchSize,
  );
  const predictions = summarizeProbabilities(probabilities, split.labels);
  const confusion = confusionMatrix(split.labels, predictions.predicted);
  const perClass = perClassMetrics(confusion);
  return {
    metrics: {
      count: split.count,
      loss: predictions.loss,
      accuracy: accuracyOf(confusion),
      confusion,
      perClass,
      macroF1: macroF1(perClass),
    },
    predictions,
  };
}

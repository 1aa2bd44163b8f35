/**
 * Evaluating a trained model on a split: class probabilities in batches,
 * accuracy with its interval, loss, confusion matrix and per-class metrics.
 *
 * @module
 */

export * from "./evaluate.ts";
export * from "./interval.ts";
export * from "./metrics.ts";

/**
 * Evaluating trained models: class probabilities in batches (on one
 * thread or, for the CNN, two), accuracy with its interval, loss,
 * confusion matrix and per-class metrics; model files checked against
 * their manifests; and the `evaluate` stage, any model on any test set,
 * written as JSON and shown as a table.
 *
 * @module
 */

export * from "./evaluate.ts";
export * from "./evaluator.ts";
export * from "./interval.ts";
export * from "./metrics.ts";
export * from "./model_files.ts";
export * from "./stage.ts";
export * from "./table.ts";

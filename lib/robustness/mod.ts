/**
 * The robustness benchmark: MNIST-C's fifteen corruptions (and a few extra
 * pixel noises) at severities 1–5, applied to the clean test digits.
 *
 * @module
 */

export * from "./corruption.ts";
export * from "./catalogue.ts";
export * from "./corrupt.ts";
export * from "./scores.ts";
export * from "./results.ts";
export * from "./sweep.ts";
export * from "./samples.ts";
export * from "./export.ts";
export * from "./stage.ts";
export * from "./prefetch.ts";

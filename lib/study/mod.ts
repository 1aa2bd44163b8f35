/**
 * `study`: the study over seeds. Each recipe trained once per seed, each
 * run in its own folder (`study/<recipe>/seed-<k>…`, plan.ts) with its own
 * manifest and evaluation (evaluate.ts: noisy, clean, MNIST-C mean); the
 * summary across seeds with t-intervals and paired differences
 * (stats.ts, summary.ts); merging runs made elsewhere (collect.ts,
 * current.ts); and the README's table (table.ts).
 *
 * @module
 */

export * from "./plan.ts";
export * from "./stats.ts";
export * from "./evaluate.ts";
export * from "./summary.ts";
export * from "./collect.ts";
export * from "./current.ts";
export * from "./run.ts";
export * from "./table.ts";
export * from "./load.ts";

/**
 * The command line: typed flag specs and `runMain` (flags.ts), and the
 * shared CLIs of the augment, training and evaluate scripts. Only this
 * folder knows flags; the stages take typed options and report bad values
 * by config field.
 *
 * @module
 */

export * from "./augment.ts";
export * from "./evaluate.ts";
export * from "./flags.ts";
export * from "./task.ts";
export * from "./train.ts";
export * from "./robustness.ts";
export * from "./study.ts";

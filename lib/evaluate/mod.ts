/**
 * TODO
 *
 * @module
 */

export * from "./evaluate.ts";
export * from "./metrics.ts";

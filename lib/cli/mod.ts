/**
 * TODO
 *
 * @module
 */

export * from "./flags.ts";
export * from "./train.ts";

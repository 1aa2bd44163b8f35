/**
 * TODO
 *
 * @module
 */

export * from "./fetch.ts";
export * from "./idx.ts";
export * from "./mnist.ts";

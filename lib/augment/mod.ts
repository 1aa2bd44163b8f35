/**
 * TODO
 *
 * @module
 */

export * from "./augment.ts";
export * from "./config.ts";
export * from "./corruptions.ts";
export * from "./pool.ts";
export * from "./samples.ts";
export * from "./stage.ts";
export * from "./warp.ts";

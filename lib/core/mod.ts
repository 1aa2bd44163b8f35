/**
 * TODO
 *
 * @module
 */

export * from "./errors.ts";
export * from "./fsutil.ts";
export * from "./hash.ts";
export * from "./lock.ts";
export * from "./manifest.ts";
export * from "./pixel_stats.ts";
export * from "./progress.ts";
export * from "./rng.ts";
export * from "./stage.ts";
export * from "./tf.ts";

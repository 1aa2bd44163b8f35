/**
 * TODO
 *
 * @module
 */

export * from "./callbacks.ts";
export * from "./checkpoint.ts";
export * from "./data_parallel.ts";
export * from "./model_io.ts";
export * from "./models.ts";
export * from "./recipes.ts";
export * from "./replica.ts";
export * from "./rng.ts";
export * from "./stage.ts";
export * from "./tensors.ts";
export * from "./train.ts";

/**
 * Stage 3, `train:dense` and `train:cnn`: the study's two networks, the
 * recipes that train them, and our own seeded, resumable training loop
 * (hold-out, shuffles and dropout from keyed streams; checkpoints after
 * every epoch; data-parallel replicas over module Workers), saving models
 * in the TensorFlow.js layers format.
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

/**
 * Stage 3, `train:dense` and `train:cnn`: the study's two networks, the
 * recipes that train them, and our own seeded, resumable training loop
 * (hold-out, shuffles and dropout from keyed streams; checkpoints after
 * every epoch; data-parallel replicas over module Workers), saving models
 * in the TensorFlow.js layers format.
 *
 * The epoch callbacks (callbacks.ts), the checkpoint byte format and the
 * worker protocol are internal to the folder.
 *
 * @module
 */

export {
  type Checkpoint,
  CheckpointError,
  readCheckpoint,
  type TensorGroup,
  writeCheckpoint,
} from "./checkpoint.ts";
export { DataParallel, shardSizes, WorkerError } from "./data_parallel.ts";
export * from "./fresh.ts";
export * from "./mix.ts";
export * from "./model_io.ts";
export * from "./models.ts";
export * from "./recipes.ts";
export {
  makeOptimizer,
  Replica,
  type ReplicaSnapshot,
  type ShardGradients,
  trainStep,
} from "./replica.ts";
export { keyedUniform, type StreamPurpose } from "./rng.ts";
export * from "./stage.ts";
export * from "./tensors.ts";
export * from "./train.ts";

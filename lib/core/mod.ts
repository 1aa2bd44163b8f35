/**
 * Plumbing every stage shares: typed one-line errors, atomic file writes,
 * SHA-256, stage manifests (what a stage did, to tell whether it is up to
 * date), keyed counter-based random numbers, progress bars, pixel
 * statistics, grayscale PNGs, and the one TensorFlow.js import.
 *
 * Nothing here knows about MNIST, models or the command line.
 *
 * @module
 */

export * from "./errors.ts";
export {
  exists,
  fileSystemError,
  readJsonIfExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "./fsutil.ts";
export * from "./hash.ts";
export * from "./lock.ts";
export * from "./manifest.ts";
export * from "./pixel_stats.ts";
export * from "./png.ts";
export * from "./progress.ts";
export { deriveKey, KeyedRng, SplitMix64, type U64 } from "./rng.ts";
export { normal } from "./normal.ts";
export * from "./stage.ts";
export * from "./tf.ts";
export * from "./worker_channel.ts";

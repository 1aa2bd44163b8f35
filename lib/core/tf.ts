/**
 * The one place the project imports TensorFlow.js.
 *
 * Deno reports `process.versions.node`, so tfjs believes it runs in Node
 * and prints an "install our node backend" banner on first use; that
 * backend (tfjs-node, native TensorFlow fetched by an npm install script)
 * is not used here. Production mode silences
 * the banner. Every module imports `tf` from here so the setting is made
 * before any tensor exists.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

tf.env().set("PROD", true);

export { tf };

/**
 * Images per `model.predict` call inside a larger inference batch. The
 * wasm backend's heap only grows, so its size is set by the largest
 * activations ever held at once: the CNN's first conv output is 346 KB per
 * image, 346 MB for a batch of 1,000, which made evaluation the peak of a
 * training run's memory (1.9 GB at 1,000; 0.23 GB at 100, measured). Small
 * chunks are also no slower (they stay in cache). Every inference path
 * uses this one value, so one thread and several give the same numbers.
 *
 * @example
 * ```ts
 * import { tf } from "./mod.ts";
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
 * });
 * const x = tf.zeros([1000, 3]);
 * model.predict(x, { batchSize: PREDICT_CHUNK });
 * ```
 */
export const PREDICT_CHUNK = 100;

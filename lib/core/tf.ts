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

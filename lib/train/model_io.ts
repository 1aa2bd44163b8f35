/**
 * Save and load tfjs layers models on the file system, in the standard
 * TensorFlow.js layers format: `model.json` (topology + weights manifest)
 * and `weights.bin` (all weights, little-endian float32, in manifest order).
 * The files load unchanged with `tf.loadLayersModel` in Node or a browser.
 *
 * Both files are written atomically, weights first, so a `model.json` on
 * disk always describes a complete `weights.bin`.
 *
 * @module
 */

import { join } from "node:path";
import {
  MissingInputError,
  tf,
  writeFileAtomic,
  writeJsonAtomic,
} from "../core/mod.ts";

/** File names of a saved model. */
export const MODEL_FILES = {
  topology: "model.json",
  weights: "weights.bin",
} as const;

/** Join a tfjs `WeightData` (one buffer or several) into one byte array. */
function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * A tfjs save handler that writes `model.json` and `weights.bin` into
 * `dir`.
 *
 * @example
 * ```ts
 * import { buildModel } from "./mod.ts";
 *
 * const model = buildModel("cnn", 42);
 * await model.save(fileSaveHandler("data/models/cnn"));
 * ```
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    const weights = weightBytes(artifacts.weightData);
    const manifest: tf.io.WeightsManifestConfig = [{
      paths: [MODEL_FILES.weights],
      weights: artifacts.weightSpecs ?? [],
    }];
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts
        .modelTopology as tf.io.ModelJSON["modelTopology"],
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy ??
        `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: manifest,
    };
    if (artifacts.trainingConfig) {
      modelJson.trainingConfig = artifacts.trainingConfig;
    }
    await writeFileAtomic(join(dir, MODEL_FILES.weights), weights);
    await writeJsonAtomic(join(dir, MODEL_FILES.topology), modelJson);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    };
  });
}

/**
 * A tfjs load handler that reads `model.json` and the weight files it
 * names from `dir`.
 */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = join(dir, MODEL_FILES.topology);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await Deno.readTextFile(jsonPath));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new MissingInputError(`${jsonPath} is missing`);
        }
        throw error;
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = await Deno.readFile(join(dir, path));
            buffers.push(bytes.slice().buffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Save a model into `dir` (`model.json` + `weights.bin`). */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
): Promise<void> {
  await model.save(fileSaveHandler(dir));
}

/**
 * Load a model saved by {@link saveModel} (or any tfjs layers model).
 *
 * @example
 * ```ts
 * const model = await loadModel("data/models/cnn");
 * ```
 */
export function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}

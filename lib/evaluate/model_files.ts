/**
 * A trained model's files, read once and checked against its stage
 * manifest: `model.json` and the weight files it names, each hashed as
 * read and compared with the hash `manifest.json` recorded, so the bytes
 * evaluated are the bytes the training stage vouched for. The model is
 * then built from those bytes (in this thread, and in any worker that
 * evaluates beside it: every copy comes from the same checked bytes).
 *
 * @module
 */

import { basename, join } from "node:path";
import {
  checkRecordedHash,
  DataError,
  exists,
  MANIFEST_FILE,
  MissingInputError,
  recordedOutputs,
  sha256Hex,
  tf,
} from "../core/mod.ts";

/** The name of a tfjs layers model's topology file. */
export const MODEL_JSON = "model.json";

/** A model's files as read and checked. */
export interface ModelFiles {
  /** Display name (`dense`, `cnn`, or the folder's name). */
  name: string;
  /** The folder. */
  dir: string;
  /** `model.json`'s text. */
  topology: string;
  /** The weight files' bytes, concatenated in `model.json`'s order. */
  weights: Uint8Array;
  /**
   * Each file as read and checked (`model.json`, `weights.bin`…), by name:
   * what a page that loads the model itself is served.
   */
  files: ReadonlyMap<string, Uint8Array>;
  /** SHA-256 of each file read, by name (`model.json`, `weights.bin`). */
  sha256: Record<string, string>;
  /** SHA-256 of `manifest.json`, or null when the folder has none. */
  manifestSha256: string | null;
}

/** Options of {@link readModelFiles}. */
export interface ReadModelOptions {
  /** Display name (default: the folder's name). */
  name?: string;
  /**
   * The task that trains this model (`deno task train:cnn`), named in
   * errors. When given, the folder must have a `manifest.json`.
   */
  task?: string;
}

async function readOrMissing(path: string, hint: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInputError(`${path} is missing${hint}`);
    }
    throw error;
  }
}

/**
 * Read a tfjs layers model's files from `dir` and check each against the
 * folder's `manifest.json`: a file the manifest does not record, or whose
 * bytes differ from what it recorded, is a one-line {@link DataError}
 * naming the file. Without a manifest the files are read unchecked
 * (`manifestSha256: null`), unless `options.task` says the folder is a
 * training stage's, which must have one.
 */
export async function readModelFiles(
  dir: string,
  options: ReadModelOptions = {},
): Promise<ModelFiles> {
  const task = options.task;
  const rerun = task ? `run \`${task} --force\`` : "";
  const hint = task ? `; run \`${task}\`` : "";
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestBytes: Uint8Array | undefined;
  try {
    manifestBytes = await Deno.readFile(manifestPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (task) {
      throw new MissingInputError(`${manifestPath} is missing${hint}`);
    }
  }
  const recorded = manifestBytes &&
    recordedOutputs(
      new TextDecoder().decode(manifestBytes),
      manifestPath,
      rerun,
    );
  const label = manifestPath;
  const sha256: Record<string, string> = {};
  const files = new Map<string, Uint8Array>();
  const read = async (file: string): Promise<Uint8Array> => {
    const path = join(dir, file);
    if (recorded && !Object.hasOwn(recorded, file)) {
      checkRecordedHash(recorded, file, path, "", label, rerun);
    }
    const bytes = await readOrMissing(path, hint);
    sha256[file] = await sha256Hex(bytes);
    if (recorded) {
      checkRecordedHash(recorded, file, path, sha256[file], label, rerun);
    }
    files.set(file, bytes);
    return bytes;
  };

  const topologyPath = join(dir, MODEL_JSON);
  const topology = new TextDecoder().decode(await read(MODEL_JSON));
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(topology);
  } catch {
    throw new DataError(`${topologyPath}: not valid JSON`);
  }
  if (!json || typeof json !== "object" || !json.modelTopology) {
    throw new DataError(
      `${topologyPath}: not a TensorFlow.js layers model (no modelTopology)`,
    );
  }
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const path of group.paths) {
      if (path.includes("/") || path.includes("\\") || path.startsWith(".")) {
        throw new DataError(
          `${topologyPath}: weight file "${path}" is not a plain file name in the model's folder`,
        );
      }
      parts.push(await read(path));
    }
  }
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    weights.set(part, at);
    at += part.length;
  }
  return {
    name: options.name ?? basename(dir),
    dir,
    topology,
    weights,
    files,
    sha256,
    manifestSha256: manifestBytes ? await sha256Hex(manifestBytes) : null,
  };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => d ?? "N").join(", ")})`;
}

/**
 * Build the model from its checked bytes. It must take 28×28×1 images
 * (pixels / 255) and give 10 class probabilities; anything else is a
 * one-line {@link DataError} naming `model.json`.
 */
export async function modelFromFiles(
  files: Pick<ModelFiles, "dir" | "topology" | "weights">,
): Promise<tf.LayersModel> {
  const path = join(files.dir, MODEL_JSON);
  const json = JSON.parse(files.topology) as tf.io.ModelJSON;
  const weights = files.weights.slice().buffer;
  let model: tf.LayersModel;
  try {
    const artifacts = await tf.io.getModelArtifactsForJSON(
      json,
      (manifest) =>
        Promise.resolve([manifest.flatMap((group) => group.weights), weights]),
    );
    model = await tf.loadLayersModel({
      load: () => Promise.resolve(artifacts),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DataError(
      `${path}: cannot build the model (${message.split("\n")[0]})`,
    );
  }
  const input = model.inputs[0]?.shape ?? [];
  const output = model.outputs[0]?.shape ?? [];
  const takes = model.inputs.length === 1 && input.length === 4 &&
    input[1] === 28 && input[2] === 28 && input[3] === 1;
  const gives = model.outputs.length === 1 && output.length === 2 &&
    output[1] === 10;
  if (!takes || !gives) {
    model.dispose();
    throw new DataError(
      `${path}: the model maps ${shapeText(input)} to ${
        shapeText(output)
      }; evaluation needs (N, 28, 28, 1) images to (N, 10) class probabilities`,
    );
  }
  return model;
}

/** Whether `path` (followed through links) is a folder; false if dangling. */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The study's models, listed first by {@link findTrainedModels}. */
const STUDY_MODELS = ["dense", "cnn"];

/**
 * The trained model folders of a data folder: each `models/<name>/` with
 * a `manifest.json` (`dense`, `cnn`, `cnn-robust`…; a link to a folder
 * counts), the study's `dense`
 * and `cnn` first (dense is the robustness benchmark's reference), then
 * the others by name. Empty when there is no `models/`.
 *
 * @example
 * ```ts
 * import { findTrainedModels } from "./model_files.ts";
 *
 * console.log(await findTrainedModels("data")); // e.g. ["dense", "cnn", "cnn-robust"]
 * ```
 */
export async function findTrainedModels(dataDir: string): Promise<string[]> {
  const root = join(dataDir, "models");
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.name.startsWith(".")) continue;
      const dir = join(root, entry.name);
      // A model trained in another data folder may be linked in.
      const isFolder = entry.isDirectory ||
        (entry.isSymlink && await isDirectory(dir));
      if (isFolder && await exists(join(dir, MANIFEST_FILE))) {
        names.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const rank = (name: string) => {
    const i = STUDY_MODELS.indexOf(name);
    return i < 0 ? STUDY_MODELS.length : i;
  };
  return names.sort((a, b) =>
    rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
  );
}

/**
 * The files of a model held in memory (one just trained), as
 * {@link readModelFiles} would read them once saved: so an
 * {@link Evaluator} can build its copies of it without a trip through the
 * disk. Nothing was read, so `sha256` is empty and `manifestSha256` null;
 * `dir` is only a label for error messages.
 *
 * @example
 * ```ts
 * import { tf } from "../core/mod.ts";
 *
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 2, inputShape: [3] })],
 * });
 * const files = await modelFilesOf(model, "tiny");
 * console.log(files.weights.length); // 32: 3×2 kernel + 2 biases, float32
 * ```
 */
export async function modelFilesOf(
  model: tf.LayersModel,
  name: string,
): Promise<ModelFiles> {
  let topology = "";
  let weights = new Uint8Array(0);
  await model.save(tf.io.withSaveHandler((artifacts) => {
    if (artifacts.weightData !== undefined) {
      weights = new Uint8Array(
        tf.io.CompositeArrayBuffer.join(artifacts.weightData),
      );
    }
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts
        .modelTopology as tf.io.ModelJSON["modelTopology"],
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy ?? "",
      convertedBy: null,
      weightsManifest: [{
        paths: ["weights.bin"],
        weights: artifacts.weightSpecs ?? [],
      }],
    };
    topology = JSON.stringify(json);
    return Promise.resolve({
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    });
  }));
  return {
    name,
    dir: `(in memory: ${name})`,
    topology,
    weights,
    files: new Map([
      [MODEL_JSON, new TextEncoder().encode(topology)],
      ["weights.bin", weights],
    ]),
    sha256: {},
    manifestSha256: null,
  };
}

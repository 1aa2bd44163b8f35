/**
 * The trained models put to use: load each model of `<data-dir>/models/`
 * after checking its files against the manifest its training stage wrote,
 * read pictures of digits (PNG, JPEG), preprocess them as MNIST was
 * (`preprocess.ts`) and give each model's most probable classes.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import {
  checkRecordedHash,
  DataError,
  encodeGrayPng,
  exists,
  MANIFEST_FILE,
  MissingInputError,
  recordedOutputs,
  sha256Hex,
  tf,
  writeFileAtomic,
} from "../core/mod.ts";
import {
  type MnistSplit,
  NOISY_FILES,
  NUM_CLASSES,
  parseIdx,
  splitFromIdx,
} from "../data/mod.ts";
import {
  findTrainedModels,
  type ModelFiles,
  modelFromFiles,
  readModelFiles,
} from "../evaluate/mod.ts";
import { initBackend } from "../kernels/mod.ts";
import { trainTask } from "../train/mod.ts";
import { decodeImage, ImageDecodeError } from "./decode.ts";
import {
  asMnistImage,
  MNIST_SIDE,
  NoInkError,
  preprocessImage,
  toGrayBytes,
} from "./preprocess.ts";

/** Pixels of one model input. */
export const INPUT_SIZE = MNIST_SIDE * MNIST_SIDE;

async function readFileOrMissing(path: string, task: string) {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInputError(`${path} is missing; run \`${task}\``);
    }
    throw error;
  }
}

/**
 * Reads files of a stage folder, each checked against the SHA-256 the
 * stage recorded in its `manifest.json` (as `runStage` checks a stage's
 * upstream files); the bytes returned are the bytes checked.
 */
export interface RecordedFileReader {
  /** The stage folder. */
  dir: string;
  /**
   * Read `file` (relative to the folder). A file edited, replaced or not
   * recorded is a one-line {@link DataError} naming it and the task.
   */
  read(file: string): Promise<Uint8Array>;
}

/**
 * A {@link RecordedFileReader} for `dir`, whose files `task` writes;
 * `undefined` when the folder has no manifest (the stage never finished).
 */
export async function recordedFiles(
  dir: string,
  task: string,
): Promise<RecordedFileReader | undefined> {
  const rerun = `run \`${task} --force\``;
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await Deno.readTextFile(manifestPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const outputs = recordedOutputs(manifestText, manifestPath, rerun);
  return {
    dir,
    read: async (file) => {
      const path = join(dir, file);
      // Not recorded: refused before reading.
      if (!Object.hasOwn(outputs, file)) {
        checkRecordedHash(outputs, file, path, "", manifestPath, rerun);
      }
      const bytes = await readFileOrMissing(path, `${task} --force`);
      checkRecordedHash(
        outputs,
        file,
        path,
        await sha256Hex(bytes),
        manifestPath,
        rerun,
      );
      return bytes;
    },
  };
}

/**
 * Read `<dataDir>/models/<name>/`'s `model.json` and the weight files it
 * names, each checked against the training stage's `manifest.json` (see
 * `readModelFiles`). `undefined` when the model has no manifest (not
 * trained).
 */
export async function readVerifiedModel(
  dataDir: string,
  name: string,
): Promise<ModelFiles | undefined> {
  const dir = join(dataDir, "models", name);
  if (!await exists(join(dir, MANIFEST_FILE))) return undefined;
  return await readModelFiles(dir, { name, task: trainTask(name) });
}

/** The noisy test split, as checked bytes and decoded. */
export interface VerifiedTestSplit {
  /** `noisy/test-images-idx3-ubyte.gz` and the labels file, by name. */
  files: Map<string, Uint8Array>;
  /** The split they hold. */
  split: MnistSplit;
}

/**
 * The noisy test split of `<dataDir>/noisy/`, each file checked against
 * the augment stage's manifest; `undefined` when there is no manifest.
 */
export async function readVerifiedNoisyTest(
  dataDir: string,
): Promise<VerifiedTestSplit | undefined> {
  const dir = join(dataDir, "noisy");
  const reader = await recordedFiles(dir, "deno task augment");
  if (!reader) return undefined;
  const names = NOISY_FILES.test;
  const files = new Map<string, Uint8Array>();
  for (const name of [names.images, names.labels]) {
    files.set(name, await reader.read(name));
  }
  const [images, labels] = await Promise.all([
    parseIdx(files.get(names.images)!, join(dir, names.images)),
    parseIdx(files.get(names.labels)!, join(dir, names.labels)),
  ]);
  const split = splitFromIdx(images, labels, {
    images: join(dir, names.images),
    labels: join(dir, names.labels),
  });
  if (split.rows !== MNIST_SIDE || split.cols !== MNIST_SIDE) {
    throw new DataError(
      `${
        join(dir, names.images)
      }: ${split.rows}×${split.cols} images, expected 28×28`,
    );
  }
  return { files, split };
}

/** A trained model, loaded. */
export interface TrainedModel {
  /** Which model. */
  name: string;
  /** The tfjs model (takes [0, 1] images, 28×28×1). */
  model: tf.LayersModel;
  /** Its verified files. */
  files: ModelFiles;
}

/**
 * The verified files of every trained model, in {@link MODEL_NAMES}
 * order. Refuses with a {@link MissingInputError} when none is trained.
 */
export async function readTrainedModels(
  dataDir: string,
): Promise<ModelFiles[]> {
  const found: ModelFiles[] = [];
  // Every trained models/<name>/ (dense, cnn, then e.g. cnn-robust).
  for (const name of await findTrainedModels(dataDir)) {
    const files = await readVerifiedModel(dataDir, name);
    if (files) found.push(files);
  }
  if (found.length === 0) {
    throw new MissingInputError(
      `no trained model in ${join(dataDir, "models")}; run \`${
        trainTask("cnn")
      }\` and \`${trainTask("dense")}\``,
    );
  }
  return found;
}

/**
 * Start the TensorFlow.js backend (the fastest that works) and load every
 * trained model of `dataDir`, each checked against its manifest first.
 */
export async function loadTrainedModels(
  dataDir: string,
): Promise<TrainedModel[]> {
  const verified = await readTrainedModels(dataDir);
  await initBackend("auto");
  const models: TrainedModel[] = [];
  for (const files of verified) {
    const model = await modelFromFiles(files);
    models.push({ name: files.name, model, files });
  }
  return models;
}

/** Class probabilities `[n · 10]` of `n` inputs (`[n · 784]`, on [0, 1]). */
export function predictInputs(
  model: tf.LayersModel,
  inputs: Float32Array,
): Float32Array {
  const n = inputs.length / INPUT_SIZE;
  if (n === 0) return new Float32Array(0);
  const output = tf.tidy(() =>
    model.predict(tf.tensor4d(inputs, [n, MNIST_SIDE, MNIST_SIDE, 1]), {
      batchSize: Math.min(n, 256),
    }) as tf.Tensor
  );
  const probabilities = output.dataSync() as Float32Array;
  output.dispose();
  return probabilities;
}

/** The inputs at `indices` of a 28×28 split, as the models take them. */
export function splitInputs(
  split: MnistSplit,
  indices: readonly number[],
): Float32Array {
  const out = new Float32Array(indices.length * INPUT_SIZE);
  indices.forEach((index, b) => {
    const source = split.images.subarray(
      index * INPUT_SIZE,
      (index + 1) * INPUT_SIZE,
    );
    for (let p = 0; p < INPUT_SIZE; p++) {
      out[b * INPUT_SIZE + p] = source[p] / 255;
    }
  });
  return out;
}

/** One class and its probability. */
export interface ClassProbability {
  /** The digit. */
  class: number;
  /** Its probability. */
  probability: number;
}

/** The `k` most probable classes of one probability row, best first. */
export function topClasses(
  probabilities: ArrayLike<number>,
  k = 3,
): ClassProbability[] {
  return Array.from({ length: NUM_CLASSES }, (_, c) => ({
    class: c,
    probability: probabilities[c],
  })).sort((a, b) => b.probability - a.probability || a.class - b.class)
    .slice(0, k);
}

/** What predicting one file gave. */
export type FileResult =
  | {
    /** The file as given. */
    file: string;
    /** It was read. */
    ok: true;
    /** The 28×28 input the models saw, on [0, 1]. */
    input: Float32Array;
    /** Each model's 10 probabilities. */
    probabilities: Record<string, Float32Array>;
    /** Where `--show` wrote the input, when asked. */
    shown?: string;
  }
  | {
    /** The file as given. */
    file: string;
    /** It could not be read. */
    ok: false;
    /** Why, one line (without the file name). */
    error: string;
  };

/** Options of {@link predictFiles}. */
export interface PredictFilesOptions {
  /** Apply MNIST's preprocessing (default true). */
  preprocess?: boolean;
  /** Write each input as `<file>.28x28.png` beside it. */
  show?: boolean;
  /** Files read and predicted together (default 64). */
  batch?: number;
  /**
   * The folder relative file names are relative to (default: the current
   * one); results still name each file as given.
   */
  cwd?: string;
}

/** Where `--show` writes what the models saw for `file`. */
export function shownPath(file: string): string {
  return join(dirname(file), `${basename(file)}.28x28.png`);
}

/** A path that is not a readable file (missing, a directory…). */
export class UnreadableFileError extends Error {
  /** `detail`: one line, e.g. `no such file`. */
  constructor(detail: string) {
    super(detail);
    this.name = "UnreadableFileError";
  }
}

/**
 * Read one picture and turn it into a model input. What a user can get
 * wrong is a one-line error without the file name:
 * {@link UnreadableFileError}, `ImageDecodeError` or `NoInkError`.
 */
export async function readDigit(
  file: string,
  preprocess = true,
): Promise<Float32Array> {
  let bytes: Uint8Array;
  try {
    if ((await Deno.stat(file)).isDirectory) {
      throw new UnreadableFileError("is a directory");
    }
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UnreadableFileError("no such file");
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UnreadableFileError("permission denied");
    }
    throw error;
  }
  const image = await decodeImage(bytes);
  return preprocess ? preprocessImage(image) : asMnistImage(image);
}

function isUserError(error: unknown): error is Error {
  return error instanceof ImageDecodeError || error instanceof NoInkError ||
    error instanceof UnreadableFileError;
}

/**
 * Predict each file with each model, `batch` files at a time, in order.
 * A file that cannot be read (missing, a directory, empty, not PNG or
 * JPEG, corrupt, no ink) gives an error result; the others are predicted.
 */
export async function* predictFiles(
  files: readonly string[],
  models: readonly TrainedModel[],
  options: PredictFilesOptions = {},
): AsyncGenerator<FileResult> {
  const batch = options.batch ?? 64;
  for (let start = 0; start < files.length; start += batch) {
    const chunk = files.slice(start, start + batch);
    const results: FileResult[] = [];
    for (const file of chunk) {
      try {
        const path = resolve(options.cwd ?? ".", file);
        const input = await readDigit(path, options.preprocess ?? true);
        results.push({ file, ok: true, input, probabilities: {} });
      } catch (error) {
        if (!isUserError(error)) throw error;
        results.push({ file, ok: false, error: error.message });
      }
    }
    const read = results.filter((r) => r.ok);
    const inputs = new Float32Array(read.length * INPUT_SIZE);
    read.forEach((r, i) => inputs.set(r.input, i * INPUT_SIZE));
    for (const { name, model } of models) {
      const probabilities = predictInputs(model, inputs);
      read.forEach((r, i) => {
        r.probabilities[name] = probabilities.subarray(
          i * NUM_CLASSES,
          (i + 1) * NUM_CLASSES,
        );
      });
    }
    if (options.show) {
      for (const r of read) {
        r.shown = shownPath(r.file);
        const target = resolve(options.cwd ?? ".", r.shown);
        const pixels = toGrayBytes(r.input);
        const png = encodeGrayPng({
          width: MNIST_SIDE,
          height: MNIST_SIDE,
          pixels,
        });
        await writeFileAtomic(target, png);
      }
    }
    yield* results;
  }
}

/** Probabilities rounded for output (6 decimals). */
function round(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

/**
 * One JSON line: `{"file", "predictions": {model: top-3}}` (plus
 * `"shown"` with `--show`), or `{"file", "error"}`.
 */
export function resultJson(result: FileResult): string {
  if (!result.ok) {
    return JSON.stringify({ file: result.file, error: result.error });
  }
  const predictions: Record<string, ClassProbability[]> = {};
  for (const [name, probabilities] of Object.entries(result.probabilities)) {
    predictions[name] = topClasses(probabilities).map((c) => ({
      class: c.class,
      probability: round(c.probability),
    }));
  }
  return JSON.stringify({
    file: result.file,
    predictions,
    ...(result.shown ? { shown: result.shown } : {}),
  });
}

function percent(p: number): string {
  return `${(p * 100).toFixed(1)} %`.padStart(7);
}

/** The table's header line for files up to `fileWidth` characters. */
export function tableHeader(fileWidth: number): string {
  return [
    "file".padEnd(fileWidth),
    "model",
    ...["1st", "2nd", "3rd"].map((h) => h.padEnd(9)),
  ].join("  ").trimEnd();
}

/**
 * A result as table rows under {@link tableHeader}: one row per model,
 * `7  97.9 %` per place; a failed file is not a row (see `resultError`).
 */
export function tableRows(result: FileResult, fileWidth: number): string[] {
  if (!result.ok) return [];
  const entries = Object.entries(result.probabilities);
  // As wide as the longest model name (cnn-robust), at least "dense".
  const nameWidth = Math.max(5, ...entries.map(([name]) => name.length));
  return entries.map(([name, p], i) =>
    [
      (i === 0 ? result.file : "").padEnd(fileWidth),
      name.padEnd(nameWidth),
      ...topClasses(p).map((c) => `${c.class} ${percent(c.probability)}`),
    ].join("  ")
  );
}

/** A failed file's one-line error, naming the file. */
export function resultError(result: FileResult): string | undefined {
  return result.ok ? undefined : `${result.file}: ${result.error}`;
}

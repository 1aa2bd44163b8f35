/**
 * Test sets on disk: a folder holding one labelled set of 28×28 digits,
 * as the MNIST IDX pair or as NumPy `.npy` files, and folders of such
 * folders (the published MNIST-C root, `mnist_c/<corruption>/`).
 *
 * A test-set folder holds exactly one of
 *
 * - `t10k-images-idx3-ubyte[.gz]` + `t10k-labels-idx1-ubyte[.gz]`
 *   (MNIST as published, or gunzipped),
 * - `test-images-idx3-ubyte[.gz]` + `test-labels-idx1-ubyte[.gz]`
 *   (what this project's stages write),
 * - `test_images.npy` + `test_labels.npy` (MNIST-C: uint8 images of shape
 *   (N, 28, 28, 1) or (N, 28, 28); labels of any integer dtype).
 *
 * Other files (a train split, a manifest) are ignored. When the folder has
 * a `manifest.json` that records the chosen files, their bytes must have
 * the recorded hashes.
 *
 * @module
 */

import { basename, join } from "node:path";
import {
  checkRecordedHash,
  DataError,
  MANIFEST_FILE,
  MissingInputError,
  recordedOutputs,
  sha256Hex,
} from "../core/mod.ts";
import { parseIdx } from "./idx.ts";
import { type MnistSplit, NUM_CLASSES, splitFromIdx } from "./mnist.ts";
import {
  decodeNpy,
  isIntegerDtype,
  type NpyArray,
  type NpyDtype,
  writeNpy,
} from "./npy.ts";

/** Side of an MNIST digit; test sets must have it. */
const SIDE = 28;

/** The file names a test set can have, in the order they are looked for. */
export const TEST_SET_LAYOUTS: readonly TestSetLayout[] = [
  ...["t10k", "test"].flatMap((stem) =>
    ["", ".gz"].map((gz): TestSetLayout => ({
      format: "idx",
      images: `${stem}-images-idx3-ubyte${gz}`,
      labels: `${stem}-labels-idx1-ubyte${gz}`,
    }))
  ),
  { format: "npy", images: "test_images.npy", labels: "test_labels.npy" },
];

/** One way a test set's two files can be named. */
export interface TestSetLayout {
  /** IDX (gzip'd or not) or NumPy. */
  format: "idx" | "npy";
  /** Images file name. */
  images: string;
  /** Labels file name. */
  labels: string;
}

/** A test set loaded from a folder. */
export interface TestSet {
  /** Display name: the folder's name, or `root/sub` inside a root. */
  name: string;
  /** The folder. */
  dir: string;
  /** How it was stored. */
  format: "idx" | "npy";
  /** Paths of the two files read. */
  files: { images: string; labels: string };
  /** SHA-256 of the two files' bytes, as read. */
  sha256: { images: string; labels: string };
  /** The images and labels. */
  split: MnistSplit;
}

/** Options of {@link loadTestSet}. */
export interface LoadTestSetOptions {
  /** Display name (default: the folder's name). */
  name?: string;
  /**
   * Pinned SHA-256 by file name: a file so named must have it (the
   * original MNIST files, say).
   */
  pinned?: Readonly<Record<string, string>>;
  /** The task that (re)makes this folder, named in errors. */
  task?: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The layout of the test set in `dir`, `undefined` when it holds none.
 * A folder with both IDX and `.npy` files, or only half of a pair, is
 * refused: which one was meant cannot be guessed.
 */
export async function testSetLayout(
  dir: string,
): Promise<TestSetLayout | undefined> {
  const complete: TestSetLayout[] = [];
  let half: string | undefined;
  for (const layout of TEST_SET_LAYOUTS) {
    const [images, labels] = await Promise.all([
      isFile(join(dir, layout.images)),
      isFile(join(dir, layout.labels)),
    ]);
    if (images && labels) complete.push(layout);
    else if (images || labels) {
      half ??= join(dir, images ? layout.labels : layout.images);
    }
  }
  const formats = new Set(complete.map((l) => l.format));
  if (formats.size > 1) {
    throw new DataError(
      `${dir}: holds both an IDX and a .npy test set; keep one of them`,
    );
  }
  if (complete.length === 0 && half !== undefined) {
    throw new MissingInputError(`${half} is missing (its pair is there)`);
  }
  // Several IDX pairs (gzip'd and not, say): the first in layout order.
  return complete[0];
}

/** Labels 0–9 as uint8 from a `.npy` array of any integer dtype. */
function npyLabels(array: NpyArray, file: string): Uint8Array {
  if (!isIntegerDtype(array.dtype)) {
    throw new DataError(
      `${file}: labels must be integers, got ${array.dtype}`,
    );
  }
  if (array.shape.length !== 1) {
    throw new DataError(
      `${file}: labels must have shape (N,), got (${array.shape.join(", ")})`,
    );
  }
  const labels = new Uint8Array(array.data.length);
  for (let i = 0; i < labels.length; i++) {
    const value = Number(array.data[i]);
    if (!(value >= 0 && value < NUM_CLASSES)) {
      throw new DataError(
        `${file}: label ${array.data[i]} at index ${i} is not a digit 0–9`,
      );
    }
    labels[i] = value;
  }
  return labels;
}

/**
 * A split from `.npy` arrays: uint8 images of shape (N, 28, 28, 1) or
 * (N, 28, 28) and integer labels of shape (N,) with values 0–9.
 */
export function splitFromNpy(
  images: NpyArray,
  labels: NpyArray,
  names = { images: "images", labels: "labels" },
): MnistSplit {
  if (images.dtype !== "uint8") {
    throw new DataError(
      `${names.images}: images must be uint8 pixels 0–255, got ${images.dtype}`,
    );
  }
  const shape = images.shape;
  if (
    !(shape.length === 3 || (shape.length === 4 && shape[3] === 1)) ||
    shape[1] !== SIDE || shape[2] !== SIDE
  ) {
    throw new DataError(
      `${names.images}: images must have shape (N, 28, 28, 1) or (N, 28, 28), got (${
        shape.join(", ")
      })`,
    );
  }
  const label = npyLabels(labels, names.labels);
  if (label.length !== shape[0]) {
    throw new DataError(
      `${names.labels}: ${label.length} labels for ${
        shape[0]
      } images in ${names.images}`,
    );
  }
  return {
    images: images.data,
    labels: label,
    count: shape[0],
    rows: SIDE,
    cols: SIDE,
  };
}

/**
 * Check a file's bytes against what vouches for them: a pinned hash, or
 * the folder's manifest when it records the file.
 */
function checkHash(
  path: string,
  file: string,
  actual: string,
  recorded: Record<string, string> | undefined,
  options: LoadTestSetOptions,
  manifestLabel: string,
): void {
  const rerun = options.task ? `run \`${options.task} --force\`` : "";
  const pinned = options.pinned?.[file];
  if (pinned !== undefined && pinned !== actual) {
    throw new DataError(
      `${path}: SHA-256 mismatch (expected ${pinned}, got ${actual})${
        rerun && `; ${rerun}`
      }`,
    );
  }
  if (recorded && Object.hasOwn(recorded, file)) {
    checkRecordedHash(recorded, file, path, actual, manifestLabel, rerun);
  }
}

/**
 * Load the test set in `dir` (see the module doc for the layouts). A
 * folder without one is a {@link MissingInputError}; a file that cannot
 * be read, or that disagrees with a pinned hash or the folder's manifest,
 * a one-line {@link DataError} naming it.
 */
export async function loadTestSet(
  dir: string,
  options: LoadTestSetOptions = {},
): Promise<TestSet> {
  const layout = await testSetLayout(dir);
  if (!layout) {
    throw new MissingInputError(
      `${dir}: no test set (expected ${
        TEST_SET_LAYOUTS.map((l) => `${l.images} + ${l.labels}`).join(", or ")
      })${options.task ? `; run \`${options.task}\` first` : ""}`,
    );
  }
  const files = {
    images: join(dir, layout.images),
    labels: join(dir, layout.labels),
  };
  const [imageBytes, labelBytes] = await Promise.all([
    Deno.readFile(files.images),
    Deno.readFile(files.labels),
  ]);
  const sha256 = {
    images: await sha256Hex(imageBytes),
    labels: await sha256Hex(labelBytes),
  };
  const manifestPath = join(dir, MANIFEST_FILE);
  const recorded = await isFile(manifestPath)
    ? recordedOutputs(
      await Deno.readTextFile(manifestPath),
      manifestPath,
      options.task ? `run \`${options.task} --force\`` : "",
    )
    : undefined;
  const label = manifestPath;
  checkHash(
    files.images,
    layout.images,
    sha256.images,
    recorded,
    options,
    label,
  );
  checkHash(
    files.labels,
    layout.labels,
    sha256.labels,
    recorded,
    options,
    label,
  );
  const split = layout.format === "idx"
    ? splitFromIdx(
      await parseIdx(imageBytes, files.images),
      await parseIdx(labelBytes, files.labels),
      files,
    )
    : splitFromNpy(
      decodeNpy(imageBytes, files.images),
      decodeNpy(labelBytes, files.labels),
      files,
    );
  if (split.rows !== SIDE || split.cols !== SIDE) {
    throw new DataError(
      `${files.images}: images are ${split.rows}×${split.cols}, expected 28×28`,
    );
  }
  return {
    name: options.name ?? basename(dir),
    dir,
    format: layout.format,
    files,
    sha256,
    split,
  };
}

/** The test-set folders `dir` stands for. */
export interface TestSetFolders {
  /** `dir` itself when it is a test set, else its test-set subfolders. */
  dirs: string[];
  /** True when `dir` is a root of test sets (its subfolders are). */
  root: boolean;
}

/**
 * `dir` when it holds a test set, else its subfolders that do (sorted by
 * name; the MNIST-C root gives its corruptions). Neither is a one-line
 * {@link MissingInputError}.
 */
export async function findTestSets(dir: string): Promise<TestSetFolders> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInputError(`${dir}: no such folder`);
    }
    throw error;
  }
  if (!stat.isDirectory) {
    throw new DataError(`${dir}: not a folder (a test set is a folder)`);
  }
  if (await testSetLayout(dir)) return { dirs: [dir], root: false };
  const subfolders: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) {
      subfolders.push(entry.name);
    }
  }
  subfolders.sort();
  const dirs: string[] = [];
  for (const name of subfolders) {
    if (await testSetLayout(join(dir, name))) dirs.push(join(dir, name));
  }
  if (dirs.length === 0) {
    throw new MissingInputError(
      `${dir}: no test set in it or in its subfolders (expected test_images.npy + test_labels.npy or an MNIST IDX pair)`,
    );
  }
  return { dirs, root: true };
}

/**
 * Load every test set `dir` stands for: itself, or each subfolder of a
 * root, named `<root>/<subfolder>`.
 */
export async function loadTestSets(
  dir: string,
  options: LoadTestSetOptions = {},
): Promise<{ root: boolean; sets: TestSet[] }> {
  const found = await findTestSets(dir);
  const rootName = options.name ?? basename(dir);
  const sets: TestSet[] = [];
  for (const sub of found.dirs) {
    sets.push(
      await loadTestSet(sub, {
        ...options,
        name: found.root ? `${rootName}/${basename(sub)}` : rootName,
      }),
    );
  }
  return { root: found.root, sets };
}

/** Options of {@link writeNpyTestSet}. */
export interface WriteNpyTestSetOptions {
  /** The labels' dtype (default `uint8`, as MNIST-C's). */
  labelDtype?: Extract<NpyDtype, "uint8" | "int32" | "int64">;
}

/**
 * Write a split as an MNIST-C-style test set: `test_images.npy` (uint8,
 * shape (N, 28, 28, 1)) and `test_labels.npy`, each atomically; returns
 * the two paths.
 */
export async function writeNpyTestSet(
  dir: string,
  split: MnistSplit,
  options: WriteNpyTestSetOptions = {},
): Promise<{ images: string; labels: string }> {
  const paths = {
    images: join(dir, "test_images.npy"),
    labels: join(dir, "test_labels.npy"),
  };
  const n = split.count;
  const size = split.rows * split.cols;
  const labels = (() => {
    switch (options.labelDtype ?? "uint8") {
      case "uint8":
        return { dtype: "uint8", data: split.labels.slice(0, n) } as const;
      case "int32":
        return {
          dtype: "int32",
          data: Int32Array.from(split.labels.subarray(0, n)),
        } as const;
      case "int64":
        return {
          dtype: "int64",
          data: BigInt64Array.from(split.labels.subarray(0, n), BigInt),
        } as const;
    }
  })();
  await writeNpy(paths.images, {
    dtype: "uint8",
    shape: [n, split.rows, split.cols, 1],
    data: split.images.subarray(0, n * size),
  });
  await writeNpy(paths.labels, { ...labels, shape: [n] });
  return paths;
}

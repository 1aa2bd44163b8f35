/**
 * MNIST-style datasets in memory: a split is uint8 images plus uint8
 * labels, checked for consistency on load. Both the original MNIST files
 * and the noisy dataset (same format, `test-` instead of `t10k-`) load
 * through here. Converting to tensors lives in `tensors.ts`, so stages
 * that never train need not load TensorFlow.js.
 *
 * @module
 */

import { join } from "node:path";
import { DataError, exists, MissingInputError } from "../core/mod.ts";
import { type IdxArray, readIdx } from "./idx.ts";

/** The two splits of MNIST. */
export type Split = "train" | "test";

/** Both splits, in the order stages process them. */
export const SPLITS: readonly Split[] = ["train", "test"];

/** Number of classes (digits 0–9). */
export const NUM_CLASSES = 10;

/** One split held in memory: `count` images of `rows × cols` uint8 pixels. */
export interface MnistSplit {
  /** Pixels, row-major, image after image (`count * rows * cols`). */
  images: Uint8Array;
  /** One label 0–9 per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height in pixels (28 for MNIST). */
  rows: number;
  /** Image width in pixels (28 for MNIST). */
  cols: number;
}

/** File names of one split's images and labels. */
export interface SplitFiles {
  /** Images file name (IDX, rank 3). */
  images: string;
  /** Labels file name (IDX, rank 1). */
  labels: string;
}

/** The original MNIST file names, as published. */
export const MNIST_FILES: Record<Split, SplitFiles> = {
  train: {
    images: "train-images-idx3-ubyte.gz",
    labels: "train-labels-idx1-ubyte.gz",
  },
  test: {
    images: "t10k-images-idx3-ubyte.gz",
    labels: "t10k-labels-idx1-ubyte.gz",
  },
};

/** The noisy dataset's file names (MNIST's, with `test-` for the test split). */
export const NOISY_FILES: Record<Split, SplitFiles> = {
  train: MNIST_FILES.train,
  test: {
    images: "test-images-idx3-ubyte.gz",
    labels: "test-labels-idx1-ubyte.gz",
  },
};

/**
 * Build a split from decoded IDX arrays, checking that images are uint8 of
 * rank 3, labels uint8 of rank 1, the counts agree and labels are 0–9.
 */
export function splitFromIdx(
  images: IdxArray,
  labels: IdxArray,
  names: SplitFiles = { images: "images", labels: "labels" },
): MnistSplit {
  if (images.dtype !== "uint8" || images.shape.length !== 3) {
    throw new DataError(
      `${names.images}: expected uint8 images of rank 3, got ${images.dtype} of shape [${images.shape}]`,
    );
  }
  if (labels.dtype !== "uint8" || labels.shape.length !== 1) {
    throw new DataError(
      `${names.labels}: expected uint8 labels of rank 1, got ${labels.dtype} of shape [${labels.shape}]`,
    );
  }
  const [count, rows, cols] = images.shape;
  if (labels.shape[0] !== count) {
    throw new DataError(
      `${names.labels}: ${
        labels.shape[0]
      } labels for ${count} images in ${names.images}`,
    );
  }
  const bad = labels.data.findIndex((label) => label >= NUM_CLASSES);
  if (bad >= 0) {
    throw new DataError(
      `${names.labels}: label ${
        labels.data[bad]
      } at index ${bad} is not a digit 0–9`,
    );
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/** Load a split from an images file and a labels file (gzip'd or not). */
export async function loadSplitFiles(
  imagesPath: string,
  labelsPath: string,
): Promise<MnistSplit> {
  const [images, labels] = await Promise.all([
    readIdx(imagesPath),
    readIdx(labelsPath),
  ]);
  return splitFromIdx(images, labels, {
    images: imagesPath,
    labels: labelsPath,
  });
}

async function loadFromFolder(
  dir: string,
  files: SplitFiles,
  task: string,
): Promise<MnistSplit> {
  const imagesPath = join(dir, files.images);
  const labelsPath = join(dir, files.labels);
  for (const path of [imagesPath, labelsPath]) {
    if (!(await exists(path))) {
      throw new MissingInputError(`${path} is missing; run \`${task}\` first`);
    }
  }
  return loadSplitFiles(imagesPath, labelsPath);
}

/** Load a split of the original MNIST from a folder (e.g. `data/mnist`). */
export function loadMnist(dir: string, split: Split): Promise<MnistSplit> {
  return loadFromFolder(dir, MNIST_FILES[split], "deno task fetch");
}

/** Load a split of the noisy dataset from a folder (e.g. `data/noisy`). */
export function loadNoisy(dir: string, split: Split): Promise<MnistSplit> {
  return loadFromFolder(dir, NOISY_FILES[split], "deno task augment");
}

/** The first `count` images of a split (a view, no copy). */
export function takeFirst(split: MnistSplit, count: number): MnistSplit {
  const n = Math.min(count, split.count);
  const size = split.rows * split.cols;
  return {
    ...split,
    count: n,
    images: split.images.subarray(0, n * size),
    labels: split.labels.subarray(0, n),
  };
}

/** How many images of each digit: index d holds the count of label d. */
export function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

/** A batch as flat float arrays, ready to become tensors. */
export interface FloatBatch {
  /** `n * rows * cols` pixels scaled to [0, 1]. */
  pixels: Float32Array;
  /** `n * 10` one-hot labels. */
  oneHot: Float32Array;
  /** Number of images in the batch. */
  n: number;
}

/**
 * Gather the images at `indices` as floats in [0, 1] with one-hot labels.
 * Indices let a training loop take a shuffled batch without copying the
 * split.
 */
export function gatherBatch(
  split: MnistSplit,
  indices: ArrayLike<number>,
): FloatBatch {
  const size = split.rows * split.cols;
  const n = indices.length;
  const pixels = new Float32Array(n * size);
  const oneHot = new Float32Array(n * NUM_CLASSES);
  for (let b = 0; b < n; b++) {
    const index = indices[b];
    if (!(index >= 0 && index < split.count)) {
      throw new RangeError(
        `image index ${index} outside 0..${split.count - 1}`,
      );
    }
    const source = split.images.subarray(index * size, (index + 1) * size);
    const target = b * size;
    for (let p = 0; p < size; p++) pixels[target + p] = source[p] / 255;
    oneHot[b * NUM_CLASSES + split.labels[index]] = 1;
  }
  return { pixels, oneHot, n };
}

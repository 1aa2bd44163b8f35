/**
 * Writing corrupted test sets in MNIST-C's published layout, so other
 * tools (and `deno task evaluate --test DIR`) can read them:
 * `DIR/<corruption>/test_images.npy` (uint8, (N, 28, 28, 1)) and
 * `test_labels.npy` (uint8, (N,)), for `identity` and MNIST-C's fifteen,
 * each at the severity MNIST-C published it at unless one is given.
 *
 * The same images as MNIST IDX go to `DIR/<corruption>/idx/`
 * (`t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`): one folder
 * holding both formats is ambiguous to lib/data's test-set reader, which
 * refuses it.
 *
 * @module
 */

import { join } from "node:path";
import {
  MNIST_FILES,
  type MnistSplit,
  writeIdx,
  writeNpyTestSet,
} from "../data/mod.ts";
import { IDENTITY, MNIST_C_CORRUPTIONS } from "./catalogue.ts";
import { corruptSplit } from "./corrupt.ts";
import type { Corruption, Severity } from "./corruption.ts";

/** The subfolder of each exported corruption holding the IDX pair. */
export const EXPORT_IDX_DIR = "idx";

/** Options of {@link exportTestSets}. */
export interface ExportOptions {
  /** The clean test split (already cut to `--limit`). */
  clean: MnistSplit;
  /** Where the corruption folders go. */
  dir: string;
  /** Seed of the corruptions' keyed randomness. */
  seed: number;
  /** One severity for every corruption (default: each one's default). */
  severity?: Severity;
  /** After each corruption written. */
  onProgress?: (done: number, total: number, name: string) => void;
}

/** The corruptions exported: `identity`, then MNIST-C's fifteen. */
export const EXPORTED: readonly Corruption[] = [
  IDENTITY,
  ...MNIST_C_CORRUPTIONS,
];

/** Write every exported corruption; returns the folders written. */
export async function exportTestSets(
  options: ExportOptions,
): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, corruption] of EXPORTED.entries()) {
    const severity = options.severity ?? corruption.defaultSeverity;
    const split = corruptSplit(
      options.clean,
      corruption,
      severity,
      options.seed,
    );
    const dir = join(options.dir, corruption.name);
    await writeNpyTestSet(dir, split);
    const idx = join(dir, EXPORT_IDX_DIR);
    await writeIdx(join(idx, MNIST_FILES.test.images), {
      dtype: "uint8",
      shape: [split.count, split.rows, split.cols],
      data: split.images,
    });
    await writeIdx(join(idx, MNIST_FILES.test.labels), {
      dtype: "uint8",
      shape: [split.count],
      data: split.labels,
    });
    dirs.push(dir);
    options.onProgress?.(i + 1, EXPORTED.length, corruption.name);
  }
  return dirs;
}

/**
 * Stage 2 of the pipeline: `<data-dir>/mnist/` in, `<data-dir>/noisy/`
 * out — the four gzip'd IDX files of the transformed dataset,
 * `samples.png` and `manifest.json`.
 *
 * The stage is skipped when its manifest records the same parameters and
 * input hashes and every output still has its recorded hash. The worker
 * count is deliberately not a parameter: it cannot change the output.
 *
 * ```ts
 * import { PRESETS, runAugmentStage } from "../../mod.ts";
 *
 * const result = await runAugmentStage({
 *   dataDir: "data", preset: "seed", config: PRESETS.seed, seed: 42,
 * });
 * console.log(result.status); // "augmented" or "up to date"
 * ```
 *
 * @module
 */

import { join } from "node:path";
import {
  type AugmentConfig,
  configToJson,
  validateAugmentConfig,
} from "./config.ts";
import { AugmentPool, defaultWorkerCount } from "./pool.ts";
import {
  encodeGrayPng,
  type Json,
  MANIFEST_FILE,
  pixelStats,
  runStage,
  type StageManifest,
  writeFileAtomic,
} from "../core/mod.ts";
import {
  loadMnist,
  type MnistSplit,
  mnistStageInputs,
  NOISY_FILES,
  serializeIdx,
  type Split,
  SPLITS,
  takeFirst,
} from "../data/mod.ts";
import { sampleGrid } from "./samples.ts";

/**
 * Version of the transform's definition. Bump it when a change to the code
 * changes output bytes, so existing outputs are no longer "up to date".
 */
export const AUGMENT_VERSION = 1;

/** The contact sheet's file name in the output folder. */
export const SAMPLES_FILE = "samples.png";

/** Options of {@link runAugmentStage}. */
export interface AugmentStageOptions {
  /** Folder holding `mnist/`; receives `noisy/`. */
  dataDir: string;
  /** Name of the preset the config started from (recorded). */
  preset: string;
  /** The transform (preset plus overrides). */
  config: AugmentConfig;
  /** Seed (a non-negative safe integer). */
  seed: number;
  /** Transform only the first `limit` images of each split. */
  limit?: number;
  /** Threads (default: logical cores); never changes the output. */
  workers?: number;
  /** Run even when up to date. */
  force?: boolean;
  /** Images done so far in a split, for a progress bar. */
  onProgress?: (split: Split, done: number, total: number) => void;
}

/** Wall times of the phases of a run, in seconds. */
export interface AugmentTimings {
  /** Reading and decompressing the MNIST files. */
  load: number;
  /** Transforming both splits. */
  transform: number;
  /** gzip'ing the four IDX files. */
  gzip: number;
  /** Writing files, PNG and manifest, and hashing. */
  write: number;
  /** Everything, start to end. */
  total: number;
}

/** What {@link runAugmentStage} did. */
export type AugmentStageResult =
  | { status: "up to date"; manifest: StageManifest; outDir: string }
  | {
    status: "augmented";
    manifest: StageManifest;
    outDir: string;
    /** Why it ran (e.g. `no manifest`, `parameters changed`, `--force`). */
    reason: string;
    timings: AugmentTimings;
    /** Images transformed (both splits). */
    images: number;
  };

/** The parameters that define the output (the stage's fingerprint). */
export function augmentParams(
  preset: string,
  config: AugmentConfig,
  seed: number,
  limit: number | undefined,
): { [key: string]: Json } {
  return {
    version: AUGMENT_VERSION,
    preset,
    seed,
    limit: limit ?? null,
    config: configToJson(config),
  };
}

/**
 * Run the augment stage (see the module doc). Throws
 * `MissingInputError` when `mnist/` is incomplete, `ChecksumError` when a
 * file there is not the pinned MNIST one, `LockedError` while another run
 * writes `noisy/`, and `UsageError` for an invalid config.
 */
export async function runAugmentStage(
  options: AugmentStageOptions,
): Promise<AugmentStageResult> {
  const { dataDir, preset, config, seed, limit } = options;
  validateAugmentConfig(config);
  const mnistDir = join(dataDir, "mnist");
  const outDir = join(dataDir, "noisy");
  const run = await runStage({
    stage: "augment",
    dir: outDir,
    params: augmentParams(preset, config, seed, limit),
    inputs: mnistStageInputs(mnistDir, SPLITS),
    rerun: options.force ? "--force" : undefined,
    work: async ({ t0 }) => {
      const loadStart = performance.now();
      const clean = {} as Record<Split, MnistSplit>;
      await Promise.all(SPLITS.map(async (split) => {
        const full = await loadMnist(mnistDir, split);
        clean[split] = limit === undefined ? full : takeFirst(full, limit);
      }));

      const transformStart = performance.now();
      const noisy = {} as Record<Split, MnistSplit>;
      const pool = new AugmentPool(options.workers ?? defaultWorkerCount());
      try {
        for (const split of SPLITS) {
          noisy[split] = await pool.augmentSplit(
            clean[split],
            split,
            config,
            seed,
            (done) => options.onProgress?.(split, done, clean[split].count),
          );
        }
      } finally {
        pool.close();
      }

      const gzipStart = performance.now();
      const files = new Map<string, Uint8Array>();
      await Promise.all(SPLITS.map(async (split) => {
        const { images, labels, count, rows, cols } = noisy[split];
        const [imageBytes, labelBytes] = await Promise.all([
          serializeIdx(
            { dtype: "uint8", shape: [count, rows, cols], data: images },
            true,
          ),
          serializeIdx({ dtype: "uint8", shape: [count], data: labels }, true),
        ]);
        files.set(NOISY_FILES[split].images, imageBytes);
        files.set(NOISY_FILES[split].labels, labelBytes);
      }));

      const writeStart = performance.now();
      files.set(
        SAMPLES_FILE,
        encodeGrayPng(sampleGrid(clean.test, noisy.test)),
      );
      // Sorted, so the manifest's key order is the same run after run.
      const outputs = [...files.keys()].sort();
      for (const name of outputs) {
        await writeFileAtomic(join(outDir, name), files.get(name)!);
      }
      const ended = performance.now();
      const timings: AugmentTimings = {
        load: (transformStart - loadStart) / 1000,
        transform: (gzipStart - transformStart) / 1000,
        gzip: (writeStart - gzipStart) / 1000,
        write: (ended - writeStart) / 1000,
        total: (ended - t0) / 1000,
      };
      const images = SPLITS.reduce((n, split) => n + clean[split].count, 0);
      return {
        status: "done",
        outputs,
        seconds: timings.total,
        results: augmentResults(clean, noisy, timings, images, pool.workers),
        value: { timings, images },
      };
    },
  });
  if (run.status === "up to date") {
    return { status: "up to date", manifest: run.manifest, outDir };
  }
  const { timings, images } = run.value;
  return {
    status: "augmented",
    manifest: run.manifest,
    outDir,
    reason: run.reason,
    timings,
    images,
  };
}

function statsJson(splits: Record<Split, MnistSplit>): { [key: string]: Json } {
  return Object.fromEntries(
    SPLITS.map((split) => {
      const { mean, std } = pixelStats(splits[split].images);
      return [split, { count: splits[split].count, mean, std }];
    }),
  );
}

function augmentResults(
  clean: Record<Split, MnistSplit>,
  noisy: Record<Split, MnistSplit>,
  timings: AugmentTimings,
  images: number,
  workers: number,
): { [key: string]: Json } {
  return {
    pixels: {
      scale: "[0, 1]",
      clean: statsJson(clean),
      noisy: statsJson(noisy),
    },
    timings: { ...timings },
    imagesPerSecond: {
      transform: images / Math.max(timings.transform, 1e-9),
      endToEnd: images / Math.max(timings.total, 1e-9),
    },
    workers,
  };
}

/** The manifest file's path for a data folder (for messages and tests). */
export function augmentManifestPath(dataDir: string): string {
  return join(dataDir, "noisy", MANIFEST_FILE);
}

/**
 * Parallel augmentation: a pool of module Workers that transform a split
 * in chunks. Because every image is keyed by its own index (see `rng.ts`),
 * the output is byte-identical for any worker count or chunk size; one
 * worker runs in this thread with no Worker at all.
 *
 * ```ts
 * import { loadMnist } from "../data/mod.ts";
 * import { PRESETS } from "./mod.ts";
 *
 * const clean = await loadMnist("data/mnist", "train");
 * const pool = new AugmentPool(2);
 * try {
 *   const noisy = await pool.augmentSplit(clean, "train", PRESETS.seed, 42);
 * } finally {
 *   pool.close();
 * }
 * ```
 *
 * @module
 */

import {
  augmentImages,
  type AugmentImagesOptions,
  type SplitKey,
} from "./augment.ts";
import type { AugmentConfig } from "./config.ts";
import type { MnistSplit } from "../data/mod.ts";

/** One chunk of work sent to a worker. */
export interface AugmentChunkRequest extends AugmentImagesOptions {
  /** Request number, echoed in the result. */
  id: number;
}

/** A worker's answer: the transformed chunk, or an error text. */
export type AugmentChunkResult =
  | { id: number; images: Uint8Array; error?: undefined }
  | { id: number; error: string; images?: undefined };

/** Most images per chunk: small enough for a smooth progress bar. */
export const MAX_CHUNK_SIZE = 2500;

/**
 * Images per chunk: at most {@link MAX_CHUNK_SIZE}, and small enough that
 * every worker gets about four chunks (so a short `--limit` run still
 * spreads over all workers).
 */
export function chunkSizeFor(count: number, workers: number): number {
  return Math.max(
    64,
    Math.min(MAX_CHUNK_SIZE, Math.ceil(count / (4 * workers))),
  );
}

/** Worker count to use by default: the number of logical cores. */
export function defaultWorkerCount(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** A fixed set of module Workers reused across splits. */
export class AugmentPool {
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #waiting: ((worker: Worker) => void)[] = [];
  #nextId = 0;

  /** A pool of `workers` threads; 1 means "in this thread, no Worker". */
  constructor(
    readonly workers: number,
    /** Images per chunk; default {@link chunkSizeFor}. */
    readonly chunkSize?: number,
  ) {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(
        `worker count must be a positive integer: ${workers}`,
      );
    }
    if (workers === 1) return;
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(
        new URL("./worker.ts", import.meta.url),
        { type: "module" },
      );
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  /**
   * Transform `split` (only read) into a new split; `onProgress` gets the
   * number of images done so far.
   */
  async augmentSplit(
    split: MnistSplit,
    name: SplitKey,
    config: AugmentConfig,
    seed: number,
    onProgress?: (done: number) => void,
  ): Promise<MnistSplit> {
    const size = split.rows * split.cols;
    const output = new Uint8Array(split.count * size);
    let done = 0;
    const chunks: Promise<void>[] = [];
    const chunkSize = this.chunkSize ??
      chunkSizeFor(split.count, this.workers);
    for (let first = 0; first < split.count; first += chunkSize) {
      const count = Math.min(chunkSize, split.count - first);
      // A copy, so it can be transferred and the caller's array stays.
      const chunk = split.images.slice(first * size, (first + count) * size);
      const request: AugmentChunkRequest = {
        id: this.#nextId++,
        images: chunk,
        count,
        rows: split.rows,
        cols: split.cols,
        config,
        seed,
        split: name,
        firstIndex: first,
      };
      chunks.push(
        this.#run(request, chunk.buffer).then((images) => {
          output.set(images, first * size);
          done += count;
          onProgress?.(done);
        }),
      );
    }
    await Promise.all(chunks);
    return { ...split, images: output, labels: split.labels.slice() };
  }

  async #run(
    request: AugmentChunkRequest,
    transfer: ArrayBuffer,
  ): Promise<Uint8Array> {
    if (this.#workers.length === 0) {
      // Yield first so progress callbacks can draw between chunks.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return augmentImages(request);
    }
    const worker = await this.#acquire();
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<AugmentChunkResult>) => {
          const result = event.data;
          if (result.images) resolve(result.images);
          else reject(new Error(`augment worker failed: ${result.error}`));
        };
        worker.onerror = (event: ErrorEvent) => {
          event.preventDefault();
          reject(new Error(`augment worker crashed: ${event.message}`));
        };
        worker.postMessage(request, [transfer]);
      });
    } finally {
      this.#release(worker);
    }
  }

  #acquire(): Promise<Worker> {
    const worker = this.#idle.pop();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(worker: Worker): void {
    const next = this.#waiting.shift();
    if (next) next(worker);
    else this.#idle.push(worker);
  }

  /** Stop every worker. The pool cannot be used afterwards. */
  close(): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
    this.#idle.length = 0;
  }
}

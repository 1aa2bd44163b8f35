/**
 * Fresh augmentation: every epoch's training images are made anew from
 * the clean MNIST training images. Image `i` of epoch `e` under seed `k`
 * draws its transform from the generator keyed by
 * (k, {@link freshSplitId}(e), i) and its corruptions from (k, e, i), so an
 * epoch's images depend on nothing but the seed, the epoch and the image —
 * a run resumed from a checkpoint regenerates them exactly.
 *
 * {@link FreshEpochs} makes the next epoch's images on a Worker while the
 * current epoch trains, and keeps at most two epochs of images.
 *
 * @module
 */

import { KeyedRng, NoisyMnistError, WorkerChannel } from "../core/mod.ts";
import { augmentImages, PRESETS } from "../augment/mod.ts";
import type { FreshAugmentation } from "./recipes.ts";
import { resolveMix } from "./mix.ts";

/**
 * The first split id of fresh epochs: epoch `e` is split `1000 + e`, far
 * from the fixed copies' train (0) and test (1), so no fresh image ever
 * repeats one of the noisy dataset's.
 */
export const FRESH_SPLIT_BASE = 1000;

/**
 * The split id that keys epoch `epoch`'s transforms (0-based epochs).
 *
 * ```ts
 * freshSplitId(0); // 1000
 * ```
 */
export function freshSplitId(epoch: number): number {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative integer: ${epoch}`);
  }
  return FRESH_SPLIT_BASE + epoch;
}

/**
 * The generator stream of (seed, freshSplitId(e), i) that decides whether
 * image `i` stays upright; the transform uses streams 0–3 of the same key.
 */
export const UPRIGHT_STREAM = 4;

/**
 * Which of an epoch's images stay upright (skip the transform): image `j`
 * when the uniform draw keyed by (seed, freshSplitId(epoch), indices[j],
 * {@link UPRIGHT_STREAM}) is below `share`.
 *
 * ```ts
 * uprightImages(Int32Array.of(1, 2, 3), 42, 0, 0); // Uint8Array [0, 0, 0]
 * ```
 */
export function uprightImages(
  indices: Int32Array,
  seed: number,
  epoch: number,
  share: number,
): Uint8Array {
  const upright = new Uint8Array(indices.length);
  if (share <= 0) return upright;
  const rng = new KeyedRng();
  const split = freshSplitId(epoch);
  for (let j = 0; j < indices.length; j++) {
    rng.reseed(seed, split, indices[j], UPRIGHT_STREAM);
    upright[j] = rng.nextDouble() < share ? 1 : 0;
  }
  return upright;
}

/** The clean images an epoch is made from, and how. */
export interface FreshSource {
  /** Clean pixels, `indices.length` images of `rows × cols`, in order. */
  images: Uint8Array;
  /** Each image's index in the MNIST training split (keys its draws). */
  indices: Int32Array;
  /** Image height. */
  rows: number;
  /** Image width. */
  cols: number;
  /** The run's seed. */
  seed: number;
  /** The transform and the corruption mix. */
  augmentation: FreshAugmentation;
}

/**
 * Epoch `epoch`'s training images: image `j` is `source.images`' image `j`
 * transformed by the recipe's preset keyed by (seed, freshSplitId(epoch),
 * indices[j]) — or left as it is when {@link uprightImages} draws it for
 * the upright share — then corrupted by its mix keyed by (seed, epoch,
 * indices[j]). Pure: the same source and epoch give the same bytes.
 *
 * ```ts
 * const source = {
 *   images: new Uint8Array(2 * 28 * 28).fill(128),
 *   indices: Int32Array.of(5, 9),
 *   rows: 28,
 *   cols: 28,
 *   seed: 42,
 *   augmentation: { fresh: true, preset: "seed", mix: "none" },
 * } as const;
 * freshEpochImages(source, 0).length; // 1568
 * ```
 */
export function freshEpochImages(
  source: FreshSource,
  epoch: number,
): Uint8Array<ArrayBuffer> {
  const { images, indices, rows, cols, seed, augmentation } = source;
  const size = rows * cols;
  if (images.length !== indices.length * size) {
    throw new RangeError(
      `fresh augmentation: ${images.length} pixels for ${indices.length} images of ${rows}×${cols}`,
    );
  }
  const mix = resolveMix(augmentation.mix, rows, cols);
  const share = augmentation.upright ?? 0;
  return augmentImages({
    images,
    count: indices.length,
    rows,
    cols,
    config: PRESETS[augmentation.preset],
    seed,
    split: freshSplitId(epoch),
    indices,
    corrupt: mix && ((pixels, index) => mix.apply(pixels, seed, epoch, index)),
    untransformed: share > 0
      ? uprightImages(indices, seed, epoch, share)
      : undefined,
  });
}

/** Fresh augmentation failed (in its Worker or here). */
export class FreshAugmentationError extends NoisyMnistError {}

/** Messages to the fresh-augmentation Worker. */
export type FreshRequest =
  | { type: "init"; source: FreshSource }
  | { type: "epoch"; epoch: number };

/** Its replies. */
export type FreshReply =
  | { type: "ready" }
  | { type: "images"; epoch: number; images: Uint8Array<ArrayBuffer> };

/**
 * Epoch images on demand, the next one made ahead: asking for epoch `e`
 * returns its images (made now if they were not prefetched) and starts
 * making epoch `e + 1` on the Worker while `e` trains. Only the epoch
 * handed out and the one being prefetched are kept.
 */
export class FreshEpochs {
  readonly #source: FreshSource;
  readonly #channel: WorkerChannel<FreshRequest, FreshReply> | undefined;
  readonly #ready: Promise<void>;
  #ahead: { epoch: number; images: Promise<Uint8Array> } | undefined;

  /**
   * Make epochs from `source`; `worker: false` makes them in this thread
   * instead (same bytes, no overlap with training).
   */
  constructor(source: FreshSource, options: { worker?: boolean } = {}) {
    // Fail here, in one line, on a mix that does not resolve, rather
    // than in the Worker.
    resolveMix(source.augmentation.mix, source.rows, source.cols);
    this.#source = source;
    if (options.worker === false) {
      this.#channel = undefined;
      this.#ready = Promise.resolve();
      return;
    }
    this.#channel = new WorkerChannel<FreshRequest, FreshReply>(
      new URL("./fresh_worker.ts", import.meta.url),
      "fresh augmentation worker",
      FreshAugmentationError,
    );
    this.#ready = this.#channel.request({ type: "init", source }, "ready")
      .then(() => {});
  }

  #make(epoch: number): Promise<Uint8Array> {
    const channel = this.#channel;
    if (!channel) {
      // Yield first so a caller can start training on the current epoch.
      return new Promise((resolve) => setTimeout(resolve, 0)).then(() =>
        freshEpochImages(this.#source, epoch)
      );
    }
    return this.#ready.then(async () => {
      const reply = await channel.request({ type: "epoch", epoch }, "images");
      if (reply.epoch !== epoch) {
        throw new FreshAugmentationError(
          `fresh augmentation worker sent epoch ${reply.epoch}, expected ${epoch}`,
        );
      }
      return reply.images;
    });
  }

  /**
   * Start making epoch `epoch`'s images now (e.g. while the replicas
   * start), unless they are already under way.
   */
  prefetch(epoch: number): void {
    if (this.#ahead?.epoch === epoch) return;
    this.#ahead?.images.catch(() => {});
    const images = this.#make(epoch);
    images.catch(() => {}); // Reported when it is asked for.
    this.#ahead = { epoch, images };
  }

  /**
   * Epoch `epoch`'s images (0-based), then the next epoch's are started
   * unless `last`.
   */
  async images(epoch: number, last = false): Promise<Uint8Array> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    const current = ahead?.epoch === epoch ? ahead.images : this.#make(epoch);
    // A prefetch of another epoch (after a resume) is dropped unread.
    ahead?.images.catch(() => {});
    const images = await current;
    if (!last) {
      const next = this.#make(epoch + 1);
      next.catch(() => {}); // Reported when it is asked for.
      this.#ahead = { epoch: epoch + 1, images: next };
    }
    return images;
  }

  /** Stop the Worker. */
  close(): void {
    this.#ahead = undefined;
    this.#channel?.terminate();
  }
}

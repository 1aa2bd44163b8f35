/**
 * Synchronous data-parallel training over Deno module Workers: one model
 * replica in this thread and one in each worker, every one holding the
 * same weights and optimizer state.
 *
 * Each step splits the batch into contiguous shards (this thread takes
 * the first). Every replica computes the gradients of its shard's mean
 * loss; this thread averages them, weighted by shard size (so the result
 * is the gradient of the whole batch's mean loss), together with the
 * BatchNorm moving statistics, and every replica applies the same average
 * with the same optimizer — so the replicas stay identical without ever
 * shipping weights. A batch with fewer images than replicas (an epoch's
 * last, say) goes to as many replicas as it has images; the others sit
 * the step out and only apply the average. The averaging order is fixed,
 * so a run is exactly reproducible for a given worker count. The one
 * numerical difference from a single process: BatchNorm normalises each
 * shard by its own batch statistics ("ghost" batches of batch/replicas
 * images).
 *
 * Why: tfjs' wasm backend uses one core, and its threaded build does not
 * start under Deno; replicas in Workers use them all.
 *
 * @module
 */

import {
  NoisyMnistError,
  PREDICT_CHUNK,
  tf,
  WorkerChannel,
} from "../core/mod.ts";
import type { BackendName } from "../kernels/mod.ts";
import { encodeCheckpoint } from "./checkpoint.ts";
import type { FloatBatch } from "../data/mod.ts";
import type { Recipe } from "./recipes.ts";
import type { Replica } from "./replica.ts";
import type { InputStandardization } from "./models.ts";
import { keyedUniform } from "./rng.ts";

/** Messages to a training worker. */
export type WorkerRequest =
  | {
    type: "init";
    backend: BackendName;
    recipe: Recipe;
    /** The coordinator's input standardisation (part of the model). */
    standardize?: InputStandardization;
    /** The coordinator's state as checkpoint bytes. */
    state: Uint8Array;
    optimizerNames: string[];
  }
  | {
    type: "gradients";
    pixels: Float32Array;
    oneHot: Float32Array;
    n: number;
    epoch: number;
    batch: number;
    shard: number;
  }
  | {
    type: "apply";
    gradients: Float32Array;
    statistics: Float32Array;
    learningRate: number;
  }
  | { type: "predict"; pixels: Float32Array; n: number };

/** Messages from a training worker. */
export type WorkerReply =
  | { type: "ready" }
  | {
    type: "gradients";
    gradients: Float32Array;
    statistics: Float32Array;
    loss: number;
    correct: number;
  }
  | { type: "predictions"; probabilities: Float32Array }
  | { type: "error"; message: string };

/** A worker failed; the run cannot continue. */
export class WorkerError extends NoisyMnistError {}

/** A training worker: requests answered in order. */
type TrainingWorker = WorkerChannel<WorkerRequest, WorkerReply>;

function startWorker(): TrainingWorker {
  return new WorkerChannel(
    new URL("./worker.ts", import.meta.url),
    "training worker",
    WorkerError,
  );
}

/** Sizes of `shards` contiguous, nearly equal parts of `n`. */
export function shardSizes(n: number, shards: number): number[] {
  const base = Math.floor(n / shards);
  return Array.from(
    { length: shards },
    (_, i) => base + (i < n % shards ? 1 : 0),
  );
}

/**
 * `into[j] += weight * from[j]` (in float64, rounded to float32 once per
 * element). A standalone monomorphic loop: inlined in `step`'s closure,
 * with property loads per element, it took ~1.6 ms per step on the CNN's
 * 282k gradients; this runs in ~0.3 ms with identical results.
 */
function accumulate(into: Float32Array, from: Float32Array, weight: number) {
  const n = into.length;
  for (let j = 0; j < n; j++) into[j] += weight * from[j];
}

/**
 * `into` (all zeros) gets `a·w₀` and then `b·w₁` added, with the same
 * roundings as two {@link accumulate} passes (`0 + a·w₀` rounded to
 * float32, then `+ b·w₁` rounded) in one pass over the memory.
 */
function accumulatePair(
  into: Float32Array,
  a: Float32Array,
  b: Float32Array,
  weights: number[],
) {
  const [w0, w1] = weights;
  const n = into.length;
  for (let j = 0; j < n; j++) {
    into[j] = Math.fround(0 + w0 * a[j]) + w1 * b[j];
  }
}

/** Coordinates the local replica and the worker replicas. */
export class DataParallel {
  readonly #local: Replica;
  readonly #workers: TrainingWorker[];
  readonly #seed: number;
  #learningRate: number;

  private constructor(
    local: Replica,
    workers: TrainingWorker[],
    recipe: Recipe,
    learningRate: number,
  ) {
    this.#local = local;
    this.#workers = workers;
    this.#seed = recipe.seed;
    this.#learningRate = learningRate;
  }

  /**
   * Start `replicas - 1` workers, each a copy of `local` (weights and
   * optimizer state, exactly).
   */
  static async start(
    local: Replica,
    replicas: number,
    backend: BackendName,
    recipe: Recipe,
    learningRate: number,
  ): Promise<DataParallel> {
    const snapshot = await local.snapshot();
    const state = await encodeCheckpoint(null, snapshot.groups);
    const workers = Array.from(
      { length: replicas - 1 },
      startWorker,
    );
    try {
      await Promise.all(workers.map(async (worker) =>
        worker.expect(
          await worker.ask({
            type: "init",
            backend,
            recipe,
            standardize: local.standardize,
            state: state.slice(),
            optimizerNames: snapshot.optimizerNames,
          }),
          "ready",
        )
      ));
    } catch (error) {
      workers.forEach((w) => w.terminate());
      throw error;
    }
    return new DataParallel(local, workers, recipe, learningRate);
  }

  /** Number of replicas, this thread included. */
  get replicas(): number {
    return this.#workers.length + 1;
  }

  /** Learning rate of the next updates (all replicas). */
  setLearningRate(rate: number): void {
    this.#learningRate = rate;
    this.#local.setLearningRate(rate);
  }

  /**
   * One synchronous step over all replicas. Only replicas with a non-empty
   * shard compute gradients: the mean loss of no images is undefined (NaN),
   * and NaN times a zero weight would still poison the average.
   */
  async step(
    batch: FloatBatch,
    rows: number,
    cols: number,
    epoch: number,
    batchIndex: number,
  ): Promise<{ loss: number; correct: number }> {
    if (!(batch.n > 0)) {
      throw new RangeError(`a training step needs images, got ${batch.n}`);
    }
    const sizes = shardSizes(batch.n, this.replicas);
    // Shards are largest first, so the non-empty ones are a prefix.
    const busy = Math.min(batch.n, this.replicas);
    const pixelsPerImage = rows * cols;
    const starts = sizes.map((_, i) =>
      sizes.slice(0, i).reduce((a, b) => a + b, 0)
    );
    const remote = this.#workers.slice(0, busy - 1).map((worker, w) => {
      const shard = w + 1;
      const from = starts[shard];
      const n = sizes[shard];
      const pixels = batch.pixels.slice(
        from * pixelsPerImage,
        (from + n) * pixelsPerImage,
      );
      const oneHot = batch.oneHot.slice(from * 10, (from + n) * 10);
      return worker.ask(
        {
          type: "gradients",
          pixels,
          oneHot,
          n,
          epoch,
          batch: batchIndex,
          shard,
        },
        [pixels.buffer, oneHot.buffer],
      );
    });
    const n0 = sizes[0];
    const xs = tf.tensor4d(batch.pixels.subarray(0, n0 * pixelsPerImage), [
      n0,
      rows,
      cols,
      1,
    ]);
    const ys = tf.tensor2d(batch.oneHot.subarray(0, n0 * 10), [n0, 10]);
    const local = this.#local.shardGradients(
      xs,
      ys,
      keyedUniform(this.#seed, "dropout", epoch, batchIndex, 0),
    );
    tf.dispose([xs, ys]);
    const shards = [
      local,
      ...(await Promise.all(remote)).map((r, i) =>
        this.#workers[i].expect(r, "gradients")
      ),
    ];

    // Weighted mean in a fixed order: the gradient of the batch's mean loss.
    const gradients = new Float32Array(local.gradients.length);
    const statistics = new Float32Array(local.statistics.length);
    let loss = 0;
    let correct = 0;
    const weights = sizes.map((size) => size / batch.n);
    // The first two shards in one pass (the common two-replica case).
    let summed = 0;
    if (shards.length > 1) {
      const [a, b] = shards;
      accumulatePair(gradients, a.gradients, b.gradients, weights);
      accumulatePair(statistics, a.statistics, b.statistics, weights);
      summed = 2;
    }
    for (let i = summed; i < shards.length; i++) {
      accumulate(gradients, shards[i].gradients, weights[i]);
      accumulate(statistics, shards[i].statistics, weights[i]);
    }
    shards.forEach((shard, i) => {
      loss += weights[i] * shard.loss;
      correct += shard.correct;
    });
    for (const worker of this.#workers) {
      const g = gradients.slice();
      const s = statistics.slice();
      worker.tell({
        type: "apply",
        gradients: g,
        statistics: s,
        learningRate: this.#learningRate,
      }, [
        g.buffer,
        s.buffer,
      ]);
    }
    this.#local.applyGradients(gradients, statistics);
    return { loss, correct };
  }

  /**
   * Class probabilities for a batch of images, the work shared between the
   * replicas (which hold identical weights); with fewer images than
   * replicas, between as many replicas as there are images.
   */
  async predict(
    pixels: Float32Array,
    n: number,
    rows: number,
    cols: number,
  ): Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    const sizes = shardSizes(n, this.replicas);
    const busy = Math.min(n, this.replicas);
    const size = rows * cols;
    let from = sizes[0];
    const remote = this.#workers.slice(0, busy - 1).map((worker, w) => {
      const count = sizes[w + 1];
      const part = pixels.slice(from * size, (from + count) * size);
      from += count;
      return worker.ask({ type: "predict", pixels: part, n: count }, [
        part.buffer,
      ]);
    });
    const out = new Float32Array(n * 10);
    const local = tf.tidy(() =>
      this.#local.model.predict(
        tf.tensor4d(pixels.subarray(0, sizes[0] * size), [
          sizes[0],
          rows,
          cols,
          1,
        ]),
        { batchSize: Math.min(sizes[0], PREDICT_CHUNK) },
      ) as tf.Tensor
    );
    out.set(local.dataSync() as Float32Array, 0);
    local.dispose();
    let at = sizes[0] * 10;
    for (const [w, reply] of (await Promise.all(remote)).entries()) {
      const { probabilities } = this.#workers[w].expect(reply, "predictions");
      out.set(probabilities, at);
      at += probabilities.length;
    }
    return out;
  }

  /** Stop the workers. */
  close(): void {
    this.#workers.forEach((w) => w.terminate());
  }
}

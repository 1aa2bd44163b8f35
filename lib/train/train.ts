/**
 * The training loop: seeded hold-out, seeded shuffles, reproducible
 * dropout, Keras' reduce-LR-on-plateau and early stopping (the pure
 * functions of `callbacks.ts`), a checkpoint after every epoch, exact
 * resumption, and a stop when the loss or the weights stop being finite.
 *
 * Why not `model.fit`: tfjs shuffles with `Math.random`, and its dropout
 * draws its masks from `Math.random` too. Here every random draw comes
 * from a stream keyed by (seed, purpose, epoch, batch) — see
 * `rng.ts` — and `Math.random` is pointed at the batch's dropout
 * stream for the duration of its step. So a run stopped after any batch
 * and resumed from its checkpoint replays exactly the uninterrupted run.
 *
 * @module
 */

import {
  DataError,
  exists,
  imagesPixelStats,
  type Json,
  NoisyMnistError,
  tf,
} from "../core/mod.ts";
import { type FloatBatch, gatherBatch, type MnistSplit } from "../data/mod.ts";
import type { Recipe } from "./recipes.ts";
import { FreshEpochs } from "./fresh.ts";
import {
  predictProbabilities,
  summarizeProbabilities,
} from "../evaluate/mod.ts";
import { keyedUniform, permutation } from "./rng.ts";
import { Replica } from "./replica.ts";
import type { InputStandardization } from "./models.ts";
import { DataParallel } from "./data_parallel.ts";
import type { BackendName } from "../kernels/mod.ts";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import {
  afterEpoch,
  type CallbackState,
  initialCallbackState,
} from "./callbacks.ts";

/** One epoch's summary, as in Keras' `History`. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Training accuracy over the epoch. */
  accuracy: number;
  /** Loss on the held-out validation images. */
  valLoss: number;
  /** Accuracy on the held-out validation images. */
  valAccuracy: number;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Training throughput (steps only). */
  imagesPerSecond: number;
}

/** Everything the loop needs to continue, saved in each checkpoint. */
interface LoopState extends CallbackState {
  fingerprint: string;
  epochsDone: number;
  batchesDone: number;
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  history: EpochRecord[];
  trainSeconds: number;
  imagesTrained: number;
}

/** Progress within an epoch, for a progress bar. */
export interface BatchProgress {
  /** 1-based epoch. */
  epoch: number;
  /** Planned epochs. */
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Running mean loss of the epoch. */
  loss: number;
  /** Running accuracy of the epoch. */
  accuracy: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** What to train and how. */
  recipe: Recipe;
  /** The training split (hold-out is taken from it). */
  data: MnistSplit;
  /** Hash of parameters and inputs; a checkpoint of another run is refused. */
  fingerprint: string;
  /** Where to keep the checkpoint; none when absent. */
  checkpointPath?: string;
  /**
   * Continue from the checkpoint if there is one. `true` refuses a
   * checkpoint of another run (other parameters or inputs);
   * `"if-current"` starts over from it instead, saying so through `onLog`
   * (the study, whose runs resume by themselves and may have changed
   * recipe since they were stopped).
   */
  resume?: boolean | "if-current";
  /** Told when a stale checkpoint is set aside (`resume: "if-current"`). */
  onLog?: (line: string) => void;
  /** Called after every batch. */
  onBatch?: (progress: BatchProgress) => void;
  /** Called after every epoch. */
  onEpoch?: (record: EpochRecord) => void;
  /** Polled between batches: true saves a checkpoint and returns early. */
  shouldStop?: () => boolean;
  /**
   * Replicas training in parallel (this thread + Workers); default 1. Part
   * of a run's identity: BatchNorm sees batch/replicas images per shard.
   */
  workers?: number;
  /** Backend the worker replicas start (default: the active one). */
  backend?: BackendName;
  /**
   * The clean training images (same count and labels as `data`), when the
   * recipe's `augmentation` makes fresh images every epoch; validation
   * still uses `data`.
   */
  clean?: MnistSplit;
  /** Make fresh epochs in this thread instead of a Worker (tests). */
  freshInThread?: boolean;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** The trained model (best weights restored when the recipe says so). */
  model: tf.Sequential;
  /** Per-epoch records. */
  history: EpochRecord[];
  /** 1-based epoch with the lowest validation loss. */
  bestEpoch: number;
  /** Epochs completed. */
  epochsRun: number;
  /** True when stopped by `shouldStop` (checkpoint saved). */
  interrupted: boolean;
  /** True when early stopping ended training. */
  stoppedEarly: boolean;
  /** Seconds spent in training steps (validation excluded). */
  trainSeconds: number;
  /** Training images per second over the run. */
  imagesPerSecond: number;
  /** Number of training / validation images. */
  counts: { train: number; validation: number };
  /** The model's input standardisation, when the recipe asks for one. */
  standardize?: InputStandardization;
}

/** A checkpoint that belongs to another run. */
export class ResumeError extends NoisyMnistError {}

/** A loss or weights that became NaN or infinite: training stops. */
export class DivergedError extends NoisyMnistError {}

/** The one-line error for training that diverged at `where`. */
function diverged(where: string, what: string): DivergedError {
  return new DivergedError(
    `training diverged at ${where}: ${what}; stopped without saving a model (a lower --lr may help)`,
  );
}

/**
 * True when every weight of `model` is finite: a NaN or infinity anywhere
 * makes the sum of all weights non-finite (about 1 ms a step for the dense
 * net, outside the timed step).
 */
function weightsFinite(model: tf.LayersModel): boolean {
  const sum = tf.tidy(() => tf.addN(model.getWeights().map((w) => tf.sum(w))));
  const value = sum.dataSync()[0];
  sum.dispose();
  return Number.isFinite(value);
}

/**
 * The statistics a `standardized` recipe's input layer uses: mean and
 * standard deviation of the training images' pixels (held-out images
 * excluded, so validation stays unseen). Undefined for `unit` and
 * `per-image` inputs.
 *
 * ```ts
 * import { loadNoisy } from "../data/mod.ts";
 * import { RECIPES } from "./mod.ts";
 *
 * const data = await loadNoisy("data/noisy", "train");
 * const { train } = holdOut(data.count, 0.2, 42);
 * inputStandardization(RECIPES.cnn, data, train); // ≈ { mean: 0.153, std: 0.261 }
 * ```
 */
export function inputStandardization(
  recipe: Recipe,
  data: MnistSplit,
  trainIndices: ArrayLike<number>,
): InputStandardization | undefined {
  if (recipe.inputs !== "standardized") return undefined;
  const stats = imagesPixelStats(
    data.images,
    data.rows * data.cols,
    trainIndices,
  );
  if (!(stats.std > 0)) {
    throw new DataError(
      "cannot standardise inputs: the training images are all one colour; train with --inputs unit",
    );
  }
  return stats;
}

/** The seeded 80/20 split of image indices into training and validation. */
export function holdOut(
  count: number,
  fraction: number,
  seed: number,
): { train: Int32Array; validation: Int32Array } {
  const order = permutation(count, keyedUniform(seed, "holdout"));
  const validationCount = Math.round(count * fraction);
  return {
    train: order.slice(0, count - validationCount),
    validation: order.slice(count - validationCount),
  };
}

function freshState(fingerprint: string, recipe: Recipe): LoopState {
  return {
    fingerprint,
    epochsDone: 0,
    batchesDone: 0,
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    history: [],
    ...initialCallbackState(recipe.learningRate),
    trainSeconds: 0,
    imagesTrained: 0,
  };
}

async function saveCheckpoint(
  path: string,
  state: LoopState,
  replica: Replica,
  bestWeights: tf.Tensor[] | undefined,
): Promise<void> {
  const { groups, optimizerNames } = await replica.snapshot();
  if (bestWeights) groups.best = bestWeights;
  const json = { ...state, optimizerNames } as unknown as Json;
  await writeCheckpoint(path, json, groups);
}

/** Dispose a list of tensors. */
function disposeAll(tensors: readonly tf.Tensor[] | undefined): void {
  tensors?.forEach((t) => t.dispose());
}

/**
 * Train a model by `options.recipe` on `options.data`.
 *
 * @example
 * ```ts
 * import { loadNoisy } from "../data/mod.ts";
 * import { RECIPES } from "./mod.ts";
 *
 * const data = await loadNoisy("data/noisy", "train");
 * const result = await train({
 *   recipe: { ...RECIPES.dense, epochs: 2 },
 *   data,
 *   fingerprint: "example",
 * });
 * console.log(result.history.at(-1)?.valAccuracy);
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { recipe, data, checkpointPath } = options;
  const split = holdOut(data.count, recipe.validationSplit, recipe.seed);
  const standardize = inputStandardization(recipe, data, split.train);
  const fresh = freshEpochs(options, split.train);
  const replica = new Replica(recipe, standardize);
  let bestWeights: tf.Tensor[] | undefined;
  let parallel: DataParallel | undefined;
  let state: LoopState;
  let interrupted = false;
  try {
    ({ state, bestWeights } = await restoreOrStart(options, replica));
    // The first epoch's images are made while the replicas start.
    fresh?.prefetch(state.epochsDone);
    replica.setLearningRate(state.lr);
    parallel = await startReplicas(options, replica, state.lr);
    const run: EpochRun = {
      options,
      split,
      validationLabels: Uint8Array.from(
        split.validation,
        (i) => data.labels[i],
      ),
      batches: Math.ceil(split.train.length / recipe.batchSize),
      replica,
      parallel,
      breathe: yielder(200),
      fresh,
      trainLabels: Uint8Array.from(split.train, (i) => data.labels[i]),
    };

    while (!state.stopped && state.epochsDone < recipe.epochs) {
      const record = await trainEpoch(run, state);
      if (record === "interrupted") {
        interrupted = true;
        break;
      }
      const decision = afterEpoch(state, record.epoch, record.valLoss, recipe);
      state = { ...state, ...decision.state };
      if (decision.keepWeights) {
        disposeAll(bestWeights);
        bestWeights = replica.model.getWeights().map((w) => w.clone());
      }
      if (state.lr !== record.lr) {
        replica.setLearningRate(state.lr);
        parallel?.setLearningRate(state.lr);
      }
      options.onEpoch?.(record);
      if (checkpointPath) {
        await saveCheckpoint(checkpointPath, state, replica, bestWeights);
      }
      if (
        options.shouldStop?.() && !state.stopped &&
        state.epochsDone < recipe.epochs
      ) {
        interrupted = true;
        break;
      }
    }
    if (interrupted && checkpointPath) {
      await saveCheckpoint(checkpointPath, state, replica, bestWeights);
    }
  } catch (error) {
    disposeAll(bestWeights);
    replica.dispose();
    throw error;
  } finally {
    parallel?.close();
    fresh?.close();
  }

  if (!interrupted && bestWeights && recipe.earlyStopping?.restoreBestWeights) {
    replica.model.setWeights(bestWeights);
  }
  disposeAll(bestWeights);
  replica.optimizer.dispose();
  return {
    model: replica.model,
    history: state.history,
    bestEpoch: state.best?.epoch ?? 0,
    epochsRun: state.epochsDone,
    interrupted,
    stoppedEarly: state.stopped,
    trainSeconds: state.trainSeconds,
    imagesPerSecond: state.imagesTrained / Math.max(state.trainSeconds, 1e-9),
    counts: { train: split.train.length, validation: split.validation.length },
    standardize,
  };
}

/**
 * The loop state to start from: the checkpoint's when resuming from one
 * (the replica restored to it, and the best weights it kept), else fresh.
 */
async function restoreOrStart(
  options: TrainOptions,
  replica: Replica,
): Promise<{ state: LoopState; bestWeights?: tf.Tensor[] }> {
  const path = options.checkpointPath;
  if (!options.resume || !path || !(await exists(path))) {
    return { state: freshState(options.fingerprint, options.recipe) };
  }
  const checkpoint = await readCheckpoint(path);
  const { optimizerNames, ...saved } = checkpoint.state as unknown as
    & LoopState
    & { optimizerNames: string[] };
  if (saved.fingerprint !== options.fingerprint) {
    disposeAll(Object.values(checkpoint.groups).flat());
    if (options.resume === "if-current") {
      options.onLog?.(
        `${path} is another run's (its parameters or inputs have changed); starting over`,
      );
      return { state: freshState(options.fingerprint, options.recipe) };
    }
    throw new ResumeError(
      `${path} was made with other parameters or inputs; drop --resume (or use --force) to start over`,
    );
  }
  await replica.restore({ groups: checkpoint.groups, optimizerNames });
  disposeAll(checkpoint.groups.model);
  disposeAll(checkpoint.groups.adamPowers);
  // JSON has no Infinity: a checkpoint of the first epoch saved the
  // plateau schedule's starting reference as null.
  saved.plateau.best ??= Infinity;
  return { state: saved, bestWeights: checkpoint.groups.best };
}

/**
 * The fresh-epoch maker when the recipe asks for fresh augmentation: the
 * clean images of the training indices, checked to be the same digits as
 * `data`'s (same count, same labels).
 */
function freshEpochs(
  options: TrainOptions,
  trainIndices: Int32Array,
): FreshEpochs | undefined {
  const { recipe, data, clean } = options;
  if (!recipe.augmentation) return undefined;
  if (
    !clean || clean.count !== data.count || clean.rows !== data.rows ||
    clean.cols !== data.cols ||
    clean.labels.some((label, i) => label !== data.labels[i])
  ) {
    throw new DataError(
      "fresh augmentation needs the clean MNIST training images matching the noisy ones (same count and labels); rerun `deno task fetch` and `deno task augment` with --force",
    );
  }
  const size = data.rows * data.cols;
  const images = new Uint8Array(trainIndices.length * size);
  trainIndices.forEach((index, j) =>
    images.set(
      clean.images.subarray(index * size, (index + 1) * size),
      j * size,
    )
  );
  return new FreshEpochs({
    images,
    indices: trainIndices,
    rows: data.rows,
    cols: data.cols,
    seed: recipe.seed,
    augmentation: recipe.augmentation,
  }, { worker: !options.freshInThread });
}

/** Worker replicas beside this thread's, when the options ask for them. */
async function startReplicas(
  options: TrainOptions,
  replica: Replica,
  lr: number,
): Promise<DataParallel | undefined> {
  const replicas = options.workers ?? 1;
  if (replicas <= 1) return undefined;
  return await DataParallel.start(
    replica,
    replicas,
    options.backend ?? (tf.getBackend() as BackendName),
    options.recipe,
    lr,
  );
}

/** What {@link trainEpoch} works with, the same for every epoch. */
interface EpochRun {
  options: TrainOptions;
  split: { train: Int32Array; validation: Int32Array };
  validationLabels: Uint8Array;
  batches: number;
  replica: Replica;
  parallel: DataParallel | undefined;
  /** Lets signal handlers and timers run a few times a second. */
  breathe: () => Promise<void>;
  /** Fresh epoch images, when the recipe makes them. */
  fresh: FreshEpochs | undefined;
  /** Labels of `split.train`, in order (the fresh images' labels). */
  trainLabels: Uint8Array;
}

/**
 * Train epoch `state.epochsDone` from batch `state.batchesDone` on, then
 * validate. Updates `state` in place (running sums, counters, history);
 * returns the epoch's record, or "interrupted" when `shouldStop` asked to
 * stop between batches (the partial sums then stay in `state`).
 */
async function trainEpoch(
  run: EpochRun,
  state: LoopState,
): Promise<EpochRecord | "interrupted"> {
  const { options, split, batches } = run;
  const { recipe, data } = options;
  const epoch = state.epochsDone; // 0-based
  const order = permutation(
    split.train.length,
    keyedUniform(recipe.seed, "shuffle", epoch),
  );
  const epochStart = performance.now() - state.partial.seconds * 1000;
  // Fresh epochs hold the training images only, in `split.train`'s order;
  // the fixed copy is indexed through `split.train`.
  const source: MnistSplit = run.fresh
    ? {
      ...data,
      images: await run.fresh.images(epoch, epoch + 1 >= recipe.epochs),
      labels: run.trainLabels,
      count: split.train.length,
    }
    : data;
  const trainIndex = run.fresh
    ? (i: number) => i
    : (i: number) => split.train[i];
  for (let b = state.batchesDone; b < batches; b++) {
    const from = b * recipe.batchSize;
    const picked = Array.from(
      order.subarray(from, Math.min(from + recipe.batchSize, order.length)),
      trainIndex,
    );
    const batch = gatherBatch(source, picked);
    const stepStart = performance.now();
    const step = await trainStep(run, batch, epoch, b);
    state.trainSeconds += (performance.now() - stepStart) / 1000;
    // The wasm backend clips NaN probabilities to 1e-7, so a NaN model can
    // show a finite loss: check the weights as well.
    const where = `epoch ${epoch + 1}, batch ${b + 1}/${batches}`;
    if (!Number.isFinite(step.loss)) {
      throw diverged(where, `the loss is ${step.loss}`);
    }
    if (!weightsFinite(run.replica.model)) {
      throw diverged(where, "a weight is NaN or infinite");
    }
    state.imagesTrained += batch.n;
    state.partial.lossSum += step.loss * batch.n;
    state.partial.correct += step.correct;
    state.partial.seen += batch.n;
    state.batchesDone = b + 1;
    options.onBatch?.({
      epoch: epoch + 1,
      epochs: recipe.epochs,
      batch: b + 1,
      batches,
      loss: state.partial.lossSum / state.partial.seen,
      accuracy: state.partial.correct / state.partial.seen,
    });
    await run.breathe();
    if (options.shouldStop?.() && b + 1 < batches) {
      state.partial.seconds = (performance.now() - epochStart) / 1000;
      return "interrupted";
    }
  }

  const probabilities = run.parallel
    ? await predictInParallel(run.parallel, data, split.validation)
    : predictProbabilities(run.replica.model, data, split.validation);
  const validation = summarizeProbabilities(
    probabilities,
    run.validationLabels,
  );
  if (!Number.isFinite(validation.loss)) {
    throw diverged(
      `epoch ${epoch + 1}, validation`,
      `the loss is ${validation.loss}`,
    );
  }
  const seconds = (performance.now() - epochStart) / 1000;
  const record: EpochRecord = {
    epoch: epoch + 1,
    loss: state.partial.lossSum / state.partial.seen,
    accuracy: state.partial.correct / state.partial.seen,
    valLoss: validation.loss,
    valAccuracy: validation.accuracy,
    lr: state.lr,
    seconds,
    imagesPerSecond: state.partial.seen / Math.max(seconds, 1e-9),
  };
  state.history.push(record);
  state.epochsDone = epoch + 1;
  state.batchesDone = 0;
  state.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  return record;
}

/** One gradient step on `batch`: on this thread, or over all replicas. */
async function trainStep(
  run: EpochRun,
  batch: FloatBatch,
  epoch: number,
  b: number,
): Promise<{ loss: number; correct: number }> {
  const { rows, cols } = run.options.data;
  if (run.parallel) return await run.parallel.step(batch, rows, cols, epoch, b);
  const xs = tf.tensor4d(batch.pixels, [batch.n, rows, cols, 1]);
  const ys = tf.tensor2d(batch.oneHot, [batch.n, 10]);
  const step = run.replica.step(
    xs,
    ys,
    keyedUniform(run.options.recipe.seed, "dropout", epoch, b),
  );
  tf.dispose([xs, ys]);
  return step;
}

/** A function that yields to the event loop when `ms` have passed. */
function yielder(ms: number): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last > ms) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = performance.now();
    }
  };
}

/** Class probabilities for `indices`, 1,000 at a time, over all replicas. */
async function predictInParallel(
  parallel: DataParallel,
  data: MnistSplit,
  indices: Int32Array,
): Promise<Float32Array> {
  const out = new Float32Array(indices.length * 10);
  for (let start = 0; start < indices.length; start += 1000) {
    const chunk = indices.subarray(
      start,
      Math.min(start + 1000, indices.length),
    );
    const { pixels, n } = gatherBatch(data, chunk);
    out.set(
      await parallel.predict(pixels, n, data.rows, data.cols),
      start * 10,
    );
  }
  return out;
}

/**
 * Evaluating one model on in-memory splits, on one thread or several.
 *
 * A split is cut into batches of `batchSize` images at fixed boundaries;
 * each batch is predicted whole, by this thread or by a module Worker that
 * holds its own copy of the model, built from the same checked bytes on
 * the same backend with the same kernels. A batch's probabilities depend
 * only on its images, not on which thread computes it, so a parallel run
 * gives exactly the probabilities of {@link predictProbabilities} with the
 * same batch size on one thread (tests/evaluate_test.ts checks it). The
 * threads take batches as they become free.
 *
 * Why: tfjs' wasm backend runs on one core (lib/train/data_parallel.ts);
 * the CNN's convolutions gain from a second one, the dense net's few
 * matrix products hardly do.
 *
 * @module
 */

import { NoisyMnistError, tf, WorkerChannel } from "../core/mod.ts";
import type { MnistSplit } from "../data/mod.ts";
import {
  type BackendInfo,
  type BackendName,
  initBackend,
} from "../kernels/mod.ts";
import {
  type Predictions,
  predictProbabilities,
  type SplitMetrics,
  summarizeProbabilities,
} from "./evaluate.ts";
import { type Interval, wilsonInterval } from "./interval.ts";
import {
  accuracyOf,
  confusionMatrix,
  macroF1,
  perClassMetrics,
} from "./metrics.ts";
import {
  type ModelFiles,
  modelFilesOf,
  modelFromFiles,
} from "./model_files.ts";

/** Images per batch unless told otherwise (the training stage's too). */
export const EVALUATION_BATCH = 1000;

/** Messages to an evaluation worker. */
export type EvalRequest =
  | {
    type: "init";
    backend: BackendName;
    /** This thread's matrix product: the worker's must be the same. */
    gemm: string;
    dir: string;
    topology: string;
    weights: Uint8Array;
  }
  | {
    type: "split";
    images: Uint8Array;
    count: number;
    rows: number;
    cols: number;
  }
  | { type: "predict"; start: number; end: number };

/** Messages from an evaluation worker. */
export type EvalReply =
  | { type: "ready" }
  | { type: "probabilities"; values: Float32Array }
  | { type: "error"; message: string };

/** An evaluation worker failed. */
export class EvalWorkerError extends NoisyMnistError {}

/** An evaluation worker: requests answered in order. */
type EvalWorker = WorkerChannel<EvalRequest, EvalReply>;

function startEvalWorker(): EvalWorker {
  return new WorkerChannel(
    new URL("./worker.ts", import.meta.url),
    "evaluation worker",
    EvalWorkerError,
  );
}

/** Options of {@link Evaluator.open}. */
export interface EvaluatorOptions {
  /** tfjs backend (default `auto`: the fastest that works). */
  backend?: BackendName | "auto";
  /**
   * Threads evaluating batches, this one included. `auto` (default): two
   * for a convolutional model when the machine has two cores, else one.
   */
  threads?: number | "auto";
  /** Images per batch (default {@link EVALUATION_BATCH}). */
  batchSize?: number;
}

/** Metrics of a model on one split, with the accuracy's 95 % interval. */
export interface EvaluationMetrics extends SplitMetrics {
  /** Images predicted correctly. */
  correct: number;
  /** Wilson 95 % interval of the accuracy. */
  interval: Interval;
}

/** What {@link Evaluator.evaluate} returns. */
export interface SplitEvaluation {
  /** Count, accuracy and its interval, loss, confusion, per-class. */
  metrics: EvaluationMetrics;
  /** Per-image predicted class and confidence. */
  predictions: Predictions;
  /** `count × 10` class probabilities. */
  probabilities: Float32Array;
}

/**
 * Metrics from class probabilities and the true labels (the composition
 * `evaluateSplit` uses, plus the number correct and its interval).
 */
export function metricsFromProbabilities(
  probabilities: Float32Array,
  labels: ArrayLike<number>,
): { metrics: EvaluationMetrics; predictions: Predictions } {
  const predictions = summarizeProbabilities(probabilities, labels);
  const confusion = confusionMatrix(labels, predictions.predicted);
  const perClass = perClassMetrics(confusion);
  let correct = 0;
  confusion.forEach((row, t) => correct += row[t]);
  return {
    metrics: {
      count: labels.length,
      correct,
      accuracy: accuracyOf(confusion),
      interval: wilsonInterval(correct, labels.length),
      loss: predictions.loss,
      confusion,
      perClass,
      macroF1: macroF1(perClass),
    },
    predictions,
  };
}

/** Images `start` to `end` of a split (a view, no copy). */
export function splitRange(
  split: MnistSplit,
  start: number,
  end: number,
): MnistSplit {
  const size = split.rows * split.cols;
  return {
    ...split,
    count: end - start,
    images: split.images.subarray(start * size, end * size),
    labels: split.labels.subarray(start, end),
  };
}

/** True when a layer of the model is a convolution. */
function isConvolutional(model: tf.LayersModel): boolean {
  return model.layers.some((layer) => /conv/i.test(layer.getClassName()));
}

function cores(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

let backendStarted: Promise<BackendInfo> | undefined;
let backendRequested: string | undefined;

/** Start the backend once per process (again only for another request). */
function startBackend(requested: BackendName | "auto"): Promise<BackendInfo> {
  if (!backendStarted || backendRequested !== requested) {
    backendRequested = requested;
    backendStarted = initBackend(requested);
  }
  return backendStarted;
}

/**
 * A model ready to evaluate splits, with its workers (started on the
 * first split big enough to share). Close it when done.
 *
 * @example
 * ```ts
 * import { loadMnist } from "../data/mod.ts";
 * import { Evaluator, readModelFiles } from "./mod.ts";
 *
 * const split = await loadMnist("data/mnist", "test");
 * const files = await readModelFiles("data/models/cnn", {
 *   task: "deno task train:cnn",
 * });
 * const evaluator = await Evaluator.open(files);
 * const { metrics } = await evaluator.evaluate(split);
 * evaluator.close();
 * ```
 */
export class Evaluator {
  /** The model (this thread's copy). */
  readonly model: tf.LayersModel;
  /** Its files, as checked. */
  readonly files: ModelFiles;
  /** The backend it runs on. */
  readonly backend: BackendInfo;
  /** Threads used for splits of two batches or more. */
  readonly threads: number;
  /** Images per batch. */
  readonly batchSize: number;
  /** Batches each thread computed in the last call (this thread first). */
  lastBatches: number[] = [];
  #workers: EvalWorker[] | undefined;

  private constructor(
    model: tf.LayersModel,
    files: ModelFiles,
    backend: BackendInfo,
    threads: number,
    batchSize: number,
  ) {
    this.model = model;
    this.files = files;
    this.backend = backend;
    this.threads = threads;
    this.batchSize = batchSize;
  }

  /** Start the backend and build the model from its checked files. */
  static async open(
    files: ModelFiles,
    options: EvaluatorOptions = {},
  ): Promise<Evaluator> {
    const backend = await startBackend(options.backend ?? "auto");
    const model = await modelFromFiles(files);
    const requested = options.threads ?? "auto";
    const threads = requested === "auto"
      ? (isConvolutional(model) ? Math.min(2, cores()) : 1)
      : requested;
    if (!(Number.isInteger(threads) && threads >= 1)) {
      throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    }
    const batchSize = options.batchSize ?? EVALUATION_BATCH;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new RangeError(
        `batchSize must be an integer ≥ 1, got ${batchSize}`,
      );
    }
    return new Evaluator(model, files, backend, threads, batchSize);
  }

  async #startWorkers(): Promise<EvalWorker[]> {
    if (this.#workers) return this.#workers;
    const workers = Array.from(
      { length: this.threads - 1 },
      startEvalWorker,
    );
    this.#workers = workers;
    await Promise.all(workers.map((worker) =>
      worker.request({
        type: "init",
        backend: this.backend.name,
        gemm: this.backend.gemm,
        dir: this.files.dir,
        topology: this.files.topology,
        weights: this.files.weights.slice(),
      }, "ready")
    ));
    return workers;
  }

  /**
   * `count × 10` class probabilities of a split's images, equal to
   * `predictProbabilities(model, split, undefined, batchSize)`.
   */
  async probabilities(split: MnistSplit): Promise<Float32Array> {
    const n = split.count;
    const size = this.batchSize;
    const batches = Math.ceil(n / size);
    if (this.threads === 1 || batches < 2) {
      this.lastBatches = [batches];
      return predictProbabilities(this.model, split, undefined, size);
    }
    const workers = await this.#startWorkers();
    const pixels = split.rows * split.cols;
    for (const worker of workers) {
      const images = split.images.slice(0, n * pixels);
      worker.tell({
        type: "split",
        images,
        count: n,
        rows: split.rows,
        cols: split.cols,
      }, [images.buffer]);
    }
    const out = new Float32Array(n * 10);
    const done = new Array<number>(workers.length + 1).fill(0);
    let next = 0;
    const claim = () => (next < batches ? next++ : -1);
    const range = (b: number) => [b * size, Math.min(n, (b + 1) * size)];
    // Two requests in flight per worker, so it never waits for this thread.
    const lane = async (worker: EvalWorker, w: number) => {
      for (let b = claim(); b >= 0; b = claim()) {
        const [start, end] = range(b);
        const reply = await worker.request(
          { type: "predict", start, end },
          "probabilities",
        );
        out.set(reply.values, start * 10);
        done[w + 1]++;
      }
    };
    // This thread takes the first batch, so two batches go to two threads.
    let mine = claim();
    const remote = workers.flatMap((worker, w) => [
      lane(worker, w),
      lane(worker, w),
    ]);
    try {
      for (; mine >= 0; mine = claim()) {
        const b = mine;
        const [start, end] = range(b);
        out.set(
          predictProbabilities(
            this.model,
            splitRange(split, start, end),
            undefined,
            end - start,
          ),
          start * 10,
        );
        done[0]++;
        // Let the workers' replies in, so they get their next batches.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch (error) {
      next = batches; // the workers take no more batches
      await Promise.allSettled(remote);
      throw error;
    }
    await Promise.all(remote);
    this.lastBatches = done;
    return out;
  }

  /**
   * Start the workers now rather than on the first split big enough to
   * share, so that a timed split times evaluation only.
   */
  async start(): Promise<void> {
    if (this.threads > 1) await this.#startWorkers();
  }

  /** Probabilities, predictions and metrics of the model on a split. */
  async evaluate(split: MnistSplit): Promise<SplitEvaluation> {
    const probabilities = await this.probabilities(split);
    return {
      ...metricsFromProbabilities(probabilities, split.labels),
      probabilities,
    };
  }

  /** Stop the workers and free the model. */
  close(): void {
    this.#workers?.forEach((worker) => worker.terminate());
    this.#workers = undefined;
    this.model.dispose();
  }
}

/** One split's result from {@link evaluateModel}. */
export interface ModelSplitEvaluation {
  /** The metrics `evaluateSplit` gives, in its order. */
  metrics: SplitMetrics;
  /** Per-image predicted class and confidence. */
  predictions: Predictions;
  /** Images per second over this split (workers started beforehand). */
  imagesPerSecond: number;
}

/**
 * Evaluate a model held in memory (one just trained) on splits, on the
 * threads an {@link Evaluator} would use for it (two for the CNN on two
 * cores): the same metrics and predictions as `evaluateSplit` on one
 * thread, bit for bit, sooner.
 *
 * @example
 * ```ts
 * import { loadMnist } from "../data/mod.ts";
 * import { buildModel } from "../train/mod.ts";
 *
 * const split = await loadMnist("data/mnist", "test");
 * const model = buildModel("cnn", 1);
 * const [result] = await evaluateModel(model, "cnn", [split]);
 * console.log(result.metrics.accuracy);
 * ```
 */
export async function evaluateModel(
  model: tf.LayersModel,
  name: string,
  splits: readonly MnistSplit[],
  options: EvaluatorOptions = {},
): Promise<ModelSplitEvaluation[]> {
  const evaluator = await Evaluator.open(
    await modelFilesOf(model, name),
    options,
  );
  try {
    await evaluator.start();
    const out: ModelSplitEvaluation[] = [];
    for (const split of splits) {
      const t0 = performance.now();
      const { metrics: m, predictions } = await evaluator.evaluate(split);
      const seconds = (performance.now() - t0) / 1000;
      out.push({
        metrics: {
          count: m.count,
          loss: m.loss,
          accuracy: m.accuracy,
          confusion: m.confusion,
          perClass: m.perClass,
          macroF1: m.macroF1,
        },
        predictions,
        imagesPerSecond: split.count / seconds,
      });
    }
    return out;
  } finally {
    evaluator.close();
  }
}

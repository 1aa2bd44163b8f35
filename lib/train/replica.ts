/**
 * A model replica: the network, its optimizer and its trainable
 * variables, with the operations training needs — a whole step, or (for
 * data-parallel training) the gradients of a shard and the application of
 * averaged gradients — plus a snapshot/restore of the full training state.
 *
 * Dropout masks come from `Math.random` inside tfjs; every call that runs
 * the network in training mode points `Math.random` at the caller's keyed
 * stream for exactly its duration.
 *
 * @module
 */

import { tf } from "../core/mod.ts";
import {
  buildModel,
  type InputStandardization,
  PER_IMAGE_LAYER,
} from "./models.ts";
import type { Recipe } from "./recipes.ts";
import { fusedAdamUpdate } from "../kernels/mod.ts";

/** The recipe's optimizer with Keras' default settings. */
export function makeOptimizer(recipe: Recipe): tf.Optimizer {
  // Keras defaults: Adam β=(0.9, 0.999), RMSprop ρ=0.9, both ε=1e-7.
  return recipe.optimizer === "adam"
    ? tf.train.adam(recipe.learningRate, 0.9, 0.999, 1e-7)
    : tf.train.rmsprop(recipe.learningRate, 0.9, 0, 1e-7, false);
}

/** tfjs optimizers read `learningRate` at every step but declare it protected. */
interface MutableRate {
  learningRate: number;
}

/** Adam's running powers of β₁ and β₂, which `setWeights` only approximates. */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamPowers(optimizer: tf.Optimizer): AdamPowers | undefined {
  const candidate = optimizer as unknown as Partial<AdamPowers>;
  return candidate.accBeta1 && candidate.accBeta2
    ? { accBeta1: candidate.accBeta1, accBeta2: candidate.accBeta2 }
    : undefined;
}

/** Run `fn` with `Math.random` drawing from `stream`. */
export function withRandom<T>(stream: () => number, fn: () => T): T {
  const original = Math.random;
  Math.random = stream;
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

/**
 * The inputs the taped forward pass starts from, and from which layer:
 * a model whose first layer is the parameter-free per-image
 * standardisation gets it applied here, outside the gradient tape. Why:
 * that layer runs tfjs' FusedBatchNorm without a scale input, and the tape
 * (which saves every input the kernel's gradient lists, present or not)
 * then fails; no gradient has to flow through it anyway, as it has no
 * weights and nothing trainable comes before it. Other models start from
 * `xs` itself at layer 0, unchanged.
 */
function untapedFront(
  model: tf.Sequential,
  xs: tf.Tensor4D,
): { inputs: tf.Tensor4D; from: number } {
  if (model.layers[0]?.name !== PER_IMAGE_LAYER) return { inputs: xs, from: 0 };
  return { inputs: model.layers[0].apply(xs) as tf.Tensor4D, from: 1 };
}

/** Mean categorical cross-entropy and the count of correct arg-maxes. */
function lossAndCorrect(
  model: tf.Sequential,
  xs: tf.Tensor4D,
  ys: tf.Tensor2D,
  from = 0,
): { loss: tf.Scalar; correct: tf.Scalar } {
  const probabilities = from === 0
    ? model.apply(xs, { training: true }) as tf.Tensor2D
    : model.layers.slice(from).reduce(
      (h, layer) => layer.apply(h, { training: true }) as tf.Tensor,
      xs as tf.Tensor,
    ) as tf.Tensor2D;
  const correct = tf.sum(
    tf.cast(tf.equal(probabilities.argMax(1), ys.argMax(1)), "int32"),
  ) as tf.Scalar;
  const loss = tf.mean(
    tf.metrics.categoricalCrossentropy(ys, probabilities),
  ) as tf.Scalar;
  return { loss, correct };
}

/**
 * One gradient step on a batch; returns its mean loss and the number of
 * images it classified correctly (before the update).
 */
export function trainStep(
  model: tf.Sequential,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  xs: tf.Tensor4D,
  ys: tf.Tensor2D,
): { loss: number; correct: number } {
  const [lossTensor, correctTensor] = tf.tidy(() => {
    let correct: tf.Tensor | undefined;
    const { inputs, from } = untapedFront(model, xs);
    const loss = optimizer.minimize(
      () => {
        const result = lossAndCorrect(model, inputs, ys, from);
        correct = tf.keep(result.correct);
        return result.loss;
      },
      true,
      variables,
    );
    return [loss!, correct!];
  });
  const loss = lossTensor.dataSync()[0];
  const correct = correctTensor.dataSync()[0];
  tf.dispose([lossTensor, correctTensor]);
  return { loss, correct };
}

/** Gradients of one shard, flattened, with its loss and BatchNorm state. */
export interface ShardGradients {
  /** All trainable variables' gradients, concatenated in variable order. */
  gradients: Float32Array;
  /** Non-trainable weights (BatchNorm moving statistics) after the pass. */
  statistics: Float32Array;
  /** Mean loss over the shard. */
  loss: number;
  /** Images of the shard classified correctly. */
  correct: number;
}

/** Serialised training state: tensor groups and optimizer slot names. */
export interface ReplicaSnapshot {
  /** `model`, `optimizer` and (for Adam) `adamPowers` tensors. */
  groups: Record<string, tf.Tensor[]>;
  /** Names of the optimizer's weights, in order. */
  optimizerNames: string[];
}

/** A network with its optimizer: what one thread trains. */
export class Replica {
  /** The network. */
  readonly model: tf.Sequential;
  /** Its optimizer. */
  readonly optimizer: tf.Optimizer;
  /** Trainable variables, in gradient order. */
  readonly variables: tf.Variable[];
  /** The input layer's statistics, if the model standardises its input. */
  readonly standardize?: InputStandardization;

  /**
   * Build the recipe's model (seeded) and optimizer; `standardize` gives
   * the input layer's statistics when the recipe standardises inputs
   * (`per-image` inputs need none: each image brings its own).
   */
  constructor(recipe: Recipe, standardize?: InputStandardization) {
    this.model = buildModel(
      recipe.model,
      recipe.seed,
      recipe.inputs === "per-image" ? "per-image" : standardize,
    );
    this.standardize = standardize;
    this.optimizer = makeOptimizer(recipe);
    this.variables = this.model.trainableWeights.map((w) =>
      w.read() as tf.Variable
    );
  }

  /** Set the learning rate used by the next updates. */
  setLearningRate(rate: number): void {
    (this.optimizer as unknown as MutableRate).learningRate = rate;
  }

  /** One full step on a batch, dropout drawn from `stream`. */
  step(
    xs: tf.Tensor4D,
    ys: tf.Tensor2D,
    stream: () => number,
  ): { loss: number; correct: number } {
    return withRandom(
      stream,
      () => trainStep(this.model, this.optimizer, this.variables, xs, ys),
    );
  }

  /**
   * Gradients of the mean loss over a shard (no update). The shard must
   * hold images: the mean over none is undefined, and the wasm backend's
   * reductions of an empty tensor return whatever memory they are given.
   */
  shardGradients(
    xs: tf.Tensor4D,
    ys: tf.Tensor2D,
    stream: () => number,
  ): ShardGradients {
    if (xs.shape[0] === 0) {
      throw new RangeError("a shard needs at least one image");
    }
    let correctValue = 0;
    const { inputs, from } = untapedFront(this.model, xs);
    const { value, grads } = withRandom(stream, () =>
      tf.variableGrads(() => {
        const { loss, correct } = lossAndCorrect(this.model, inputs, ys, from);
        correctValue = correct.dataSync()[0];
        return loss;
      }, this.variables));
    if (inputs !== xs) inputs.dispose();
    const sizes = this.variables.map((v) => v.size);
    const gradients = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    this.variables.forEach((v) => {
      gradients.set(grads[v.name].dataSync() as Float32Array, offset);
      offset += v.size;
    });
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return {
      gradients,
      statistics: this.readStatistics(),
      loss,
      correct: correctValue,
    };
  }

  /** Apply flattened gradients (and set BatchNorm statistics, if given). */
  applyGradients(gradients: Float32Array, statistics?: Float32Array): void {
    // Adam (after its first step) in one exact pass per variable; the
    // stock update otherwise (it also creates Adam's moment slots).
    if (!fusedAdamUpdate(this.optimizer, this.variables, gradients)) {
      this.stockApplyGradients(gradients);
    }
    if (statistics) this.writeStatistics(statistics);
  }

  /** tfjs' own `applyGradients` on tensors made from the flat gradients. */
  private stockApplyGradients(gradients: Float32Array): void {
    const named: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of this.variables) {
      named[v.name] = tf.tensor(
        gradients.subarray(offset, offset + v.size),
        v.shape,
      );
      offset += v.size;
    }
    this.optimizer.applyGradients(named);
    tf.dispose(Object.values(named));
  }

  /** BatchNorm moving statistics (the non-trainable weights), flattened. */
  readStatistics(): Float32Array {
    const weights = this.model.nonTrainableWeights;
    const out = new Float32Array(
      weights.reduce((sum, w) => sum + w.read().size, 0),
    );
    let offset = 0;
    for (const w of weights) {
      const values = w.read().dataSync() as Float32Array;
      out.set(values, offset);
      offset += values.length;
    }
    return out;
  }

  /** Overwrite the BatchNorm moving statistics. */
  writeStatistics(statistics: Float32Array): void {
    let offset = 0;
    for (const w of this.model.nonTrainableWeights) {
      const current = w.read();
      const size = current.size;
      const value = tf.tensor(
        statistics.subarray(offset, offset + size),
        current.shape,
      );
      w.write(value);
      value.dispose();
      offset += size;
    }
  }

  /** The full training state: live tensors, valid until the next update. */
  async snapshot(): Promise<ReplicaSnapshot> {
    const optimizerWeights = await this.optimizer.getWeights();
    const groups: Record<string, tf.Tensor[]> = {
      model: this.model.getWeights(),
      optimizer: optimizerWeights.map((w) => w.tensor),
    };
    const powers = adamPowers(this.optimizer);
    if (powers) groups.adamPowers = [powers.accBeta1, powers.accBeta2];
    return { groups, optimizerNames: optimizerWeights.map((w) => w.name) };
  }

  /** Restore a state captured by {@link snapshot} (exactly, Adam included). */
  async restore(snapshot: ReplicaSnapshot): Promise<void> {
    const { groups, optimizerNames } = snapshot;
    this.model.setWeights(groups.model);
    await this.optimizer.setWeights(
      groups.optimizer.map((tensor, i) => ({
        name: optimizerNames[i],
        tensor,
      })),
    );
    const powers = adamPowers(this.optimizer);
    if (powers && groups.adamPowers) {
      powers.accBeta1.assign(groups.adamPowers[0] as tf.Scalar);
      powers.accBeta2.assign(groups.adamPowers[1] as tf.Scalar);
    }
  }

  /** Free the model and optimizer. */
  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

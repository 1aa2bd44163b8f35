/**
 * Cheaper backward passes for the ops Keras' BatchNormalization and ReLU
 * lower to, installed with `tf.registerGradient` (process-wide, like every
 * tfjs gradient). The forward ops are untouched, so models, layers and
 * saved files are stock; only how the gradient is computed changes.
 *
 * Each replacement gradient calls a fused kernel ("Fast…", registered by
 * configs/gradients.ts on the backends that have our fast kernels) when
 * the active backend has it and the shapes are the common case, and
 * otherwise defers to tfjs' own gradient function, so other backends (and
 * the tests' reference backend) keep the stock behaviour.
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { leadingAxes } from "./reduce.ts";
import { allFloat } from "./io.ts";

/** Kernel names of the fused gradient kernels. */
export const GRAD_KERNELS = {
  batchNorm: "FastFusedBatchNormGrad",
  mean: "FastMeanGrad",
  square: "FastSquareGrad",
  relu: "FastReluGrad",
  /** BatchNormalization in training, forward (batch_norm_layer.ts calls it). */
  batchNormTrain: "FastBatchNormTrain",
  batchNormTrainGrad: "FastBatchNormTrainGrad",
} as const;

type NamedGradFunc = tf.GradConfig["gradFunc"];
type GradMap = ReturnType<NamedGradFunc>;

/** True when the active backend has our fused kernel `name`. */
function available(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function run(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

const sameShape = (a: tf.Tensor, b: tf.Tensor) =>
  tf.util.arraysEqual(a.shape, b.shape);

/** Per-channel vector for an [.., C] tensor: rank 1, length C. */
const perChannel = (t: tf.Tensor | undefined, C: number) =>
  t === undefined || t === null || (t.rank === 1 && t.shape[0] === C);

/**
 * FusedBatchNorm: one kernel computes dx and all four per-channel
 * gradients (the stock gradient makes ~10 full-size passes and 4 sums).
 * The kernel runs eagerly when the gradient function is called (outside
 * the per-input tidy scopes), so all five results live until the backward
 * pass's own scope ends; the thunks just hand them out.
 */
function batchNormGradFunc(stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const g = dy as tf.Tensor;
    const C = x.shape[x.shape.length - 1];
    const usable = available(GRAD_KERNELS.batchNorm) &&
      allFloat([x, g, mean, variance, scale]) && sameShape(x, g) &&
      x.rank >= 1 && perChannel(mean, C) && perChannel(variance, C) &&
      perChannel(scale, C);
    if (!usable) return stock(dy, saved, attrs);
    const inputs: Record<string, tf.Tensor> = { x, dy: g, mean, variance };
    if (scale) inputs.scale = scale;
    const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(
      GRAD_KERNELS.batchNorm,
      inputs,
      { varianceEpsilon: attrs.varianceEpsilon as number },
    ) as tf.Tensor[];
    return {
      x: () => dx,
      mean: () => dMean,
      variance: () => dVariance,
      scale: () => dScale,
      offset: () => dOffset,
    };
  };
}

/**
 * Mean over the leading axes: the gradient is dy / count repeated, written
 * once (stock: ones(x.shape), a broadcast multiply and a divide).
 */
function meanGradFunc(stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const lead = leadingAxes(attrs.axis as number | number[], x.rank);
    if (
      !available(GRAD_KERNELS.mean) || lead === null || lead === 0 ||
      !allFloat([x, g]) ||
      g.size !== tf.util.sizeFromShape(x.shape.slice(lead))
    ) return stock(dy, saved, attrs);
    const count = tf.util.sizeFromShape(x.shape.slice(0, lead));
    return {
      x: () =>
        run(GRAD_KERNELS.mean, { dy: g }, { shape: x.shape.slice(), count }),
    };
  };
}

/** Elementwise unary gradient (Square, Relu) through `kernel` when shapes match. */
function unaryGradFunc(kernel: string, stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    if (!available(kernel) || !allFloat([x, g]) || !sameShape(x, g)) {
      return stock(dy, saved, attrs);
    }
    return { x: () => run(kernel, { x, dy: g }) };
  };
}

/**
 * The gradient of our own training BatchNorm kernel (x, scale, offset →
 * y, mean, variance): one kernel gives dx, dScale and dOffset. Gradients
 * reaching the mean and variance outputs (tfjs passes zeros when, as in
 * the layer, they only feed the moving averages) are folded into dx.
 */
const batchNormTrainGradient: tf.GradConfig = {
  kernelName: GRAD_KERNELS.batchNormTrain,
  inputsToSave: ["x", "scale"],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, mean, variance] = saved;
    const [dyY, dMean, dVariance] = dy as tf.Tensor[];
    const [dx, dScale, dOffset] = tf.engine().runKernel(
      GRAD_KERNELS.batchNormTrainGrad,
      { x, dy: dyY, mean, variance, scale, dMean, dVariance },
      { varianceEpsilon: attrs.varianceEpsilon as number },
    ) as tf.Tensor[];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
  },
};

const stockGradients = new Map<string, tf.GradConfig>();

/**
 * Installs the fused gradients for FusedBatchNorm, Mean, Square and Relu
 * and the gradient of our training BatchNorm kernel (process-wide;
 * idempotent). Returns the kernel names whose gradient was installed.
 */
export function installFastGradients(): string[] {
  const replacements: [string, (stock: NamedGradFunc) => NamedGradFunc][] = [
    ["FusedBatchNorm", batchNormGradFunc],
    ["Mean", meanGradFunc],
    ["Square", (s) => unaryGradFunc(GRAD_KERNELS.square, s)],
    ["Relu", (s) => unaryGradFunc(GRAD_KERNELS.relu, s)],
  ];
  const done: string[] = [];
  for (const [kernelName, make] of replacements) {
    let stock = stockGradients.get(kernelName);
    if (!stock) {
      stock = tf.getGradient(kernelName);
      if (!stock) continue;
      stockGradients.set(kernelName, stock);
    }
    tf.registerGradient({
      ...stock,
      gradFunc: make(stock.gradFunc) as (
        dy: tf.Tensor | tf.Tensor[],
        saved: tf.Tensor[],
        attrs: tf.NamedAttrMap,
      ) => GradMap,
    });
    done.push(kernelName);
  }
  tf.registerGradient(batchNormTrainGradient);
  done.push(GRAD_KERNELS.batchNormTrain);
  return done;
}

/**
 * The original study's two networks, as Keras built them, in TensorFlow.js.
 *
 * Parameter counts match the Keras models (BatchNorm's moving mean and
 * variance included, as Keras' `count_params` does): 235,146 for `dense`
 * and 282,058 for `cnn`. Kernel initialisers are Glorot-uniform and biases
 * zero, like Keras, but seeded, so the same seed gives the same initial
 * weights. Dropout masks are made reproducible by the training loop
 * (see `train.ts`), so the saved model uses the stock `Dropout` layer and
 * loads anywhere `tf.loadLayersModel` runs.
 *
 * Optionally a model starts with a parameter-free `Rescaling` layer that
 * standardises its [0, 1] input with the training images' mean and
 * standard deviation (see `InputStandardization`). Living inside the model,
 * the statistics travel with `model.json`: a saved model still takes plain
 * [0, 1] images, and the parameter counts stay the Keras ones. The
 * `per-image` alternative standardises each image by its own mean and
 * standard deviation, with a stock `LayerNormalization` over the whole
 * image without scale or offset (no parameters either), so it too loads
 * wherever `tf.loadLayersModel` runs.
 *
 * @module
 */

import { tf } from "../core/mod.ts";
import { FusedBatchNormalization } from "../kernels/mod.ts";

/** The two architectures of the study. */
export type ModelName = "dense" | "cnn";

/** Both model names, in report order. */
export const MODEL_NAMES: readonly ModelName[] = ["dense", "cnn"];

/** Parameter counts of the original Keras models. */
export const KERAS_PARAM_COUNTS: Readonly<Record<ModelName, number>> = {
  dense: 235_146,
  cnn: 282_058,
};

/** Input image shape: 28 × 28 × 1 channel. */
export const INPUT_SHAPE: readonly [number, number, number] = [28, 28, 1];

/**
 * Standardise inputs: `(x - mean) / std` on [0, 1] pixels, with the
 * training images' statistics (Keras' `Normalization` layer, adapted).
 */
export interface InputStandardization {
  /** Mean pixel intensity of the training images, on [0, 1]. */
  mean: number;
  /** Their standard deviation, on [0, 1]; must be positive. */
  std: number;
}

/**
 * How a model's input layer scales images: by the training images'
 * statistics, or each image by its own (`"per-image"`).
 */
export type InputScaling = InputStandardization | "per-image";

/**
 * Added to each image's variance before the square root: small against
 * a digit's pixel variance (about 0.1 on [0, 1]), it only keeps a blank
 * image (variance 0) finite — it becomes all zeros.
 */
export const PER_IMAGE_EPSILON = 1e-6;

/** The per-image standardisation layer's name (training looks for it). */
export const PER_IMAGE_LAYER = "standardize_per_image";

/**
 * The parameter-free layer that standardises each image by its own mean
 * and standard deviation: `(x - mean(x)) / sqrt(var(x) + ε)` over all of
 * an image's pixels. A stock `LayerNormalization` without its learned
 * scale and offset, so it serialises and loads like any other layer.
 *
 * @example
 * ```ts
 * import { tf } from "../core/mod.ts";
 *
 * const layer = perImageStandardization([2, 2, 1]);
 * const out = layer.apply(tf.tensor4d([0, 0, 1, 1], [1, 2, 2, 1]));
 * (out as tf.Tensor).dataSync(); // ≈ [-1, -1, 1, 1]
 * ```
 */
export function perImageStandardization(
  inputShape: readonly number[] = INPUT_SHAPE,
): tf.layers.Layer {
  return tf.layers.layerNormalization({
    inputShape: [...inputShape],
    axis: [1, 2, 3],
    center: false,
    scale: false,
    epsilon: PER_IMAGE_EPSILON,
    name: PER_IMAGE_LAYER,
  });
}

/**
 * The layers in front of the network proper: a `Rescaling` by 1/std with
 * offset −mean/std when standardising, the per-image layer for
 * `"per-image"`, else none. Whichever layer comes first in a Sequential
 * declares the input shape, so `inputShape` is set only when the network's
 * own first layer is first.
 */
function inputLayers(
  standardize: InputScaling | undefined,
): { first: tf.layers.Layer[]; inputShape?: number[] } {
  if (!standardize) return { first: [], inputShape: [...INPUT_SHAPE] };
  if (standardize === "per-image") {
    return { first: [perImageStandardization()] };
  }
  if (!(standardize.std > 0)) {
    throw new RangeError(
      `input standardization needs a positive std, got ${standardize.std}`,
    );
  }
  return {
    first: [
      tf.layers.rescaling({
        inputShape: [...INPUT_SHAPE],
        scale: 1 / standardize.std,
        offset: -standardize.mean / standardize.std,
        name: "standardize",
      }),
    ],
  };
}

/**
 * Deterministic per-layer seeds: layer `k` of a model built with `seed`
 * gets its own stream, so adding a layer does not shift the others.
 */
function glorot(seed: number, layer: number) {
  return tf.initializers.glorotUniform({ seed: seed * 1000 + layer });
}

/**
 * The fully connected network: 784 → 256 → 128 → 10 with ReLU, dropout 0.3
 * after each hidden layer and a softmax output. `standardize` puts a
 * standardising input layer in front (no parameters).
 *
 * @example
 * ```ts
 * const model = buildDense(42, { mean: 0.15, std: 0.26 });
 * console.log(model.countParams()); // 235146
 * ```
 */
export function buildDense(
  seed: number,
  standardize?: InputScaling,
): tf.Sequential {
  const { first, inputShape } = inputLayers(standardize);
  return tf.sequential({
    name: "dense",
    layers: [
      ...first,
      tf.layers.flatten({ inputShape, name: "flatten" }),
      tf.layers.dense({
        units: 256,
        activation: "relu",
        kernelInitializer: glorot(seed, 1),
        name: "dense_1",
      }),
      tf.layers.dropout({ rate: 0.3, name: "dropout_1" }),
      tf.layers.dense({
        units: 128,
        activation: "relu",
        kernelInitializer: glorot(seed, 2),
        name: "dense_2",
      }),
      tf.layers.dropout({ rate: 0.3, name: "dropout_2" }),
      tf.layers.dense({
        units: 10,
        activation: "softmax",
        kernelInitializer: glorot(seed, 3),
        name: "output",
      }),
    ],
  });
}

/**
 * The convolutional network: two 3×3 conv blocks (128 then 64 filters,
 * ReLU, BatchNorm, 2×2 max-pool), then dropout 0.3, dense 128 ReLU,
 * dropout 0.3 and a softmax output. `standardize` puts a standardising
 * input layer in front (no parameters).
 *
 * @example
 * ```ts
 * const model = buildCnn(42);
 * console.log(model.countParams()); // 282058
 * ```
 */
export function buildCnn(
  seed: number,
  standardize?: InputScaling,
): tf.Sequential {
  const { first, inputShape } = inputLayers(standardize);
  return tf.sequential({
    name: "cnn",
    layers: [
      ...first,
      tf.layers.conv2d({
        inputShape,
        filters: 128,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: glorot(seed, 1),
        name: "conv_1",
      }),
      // Keras defaults (momentum 0.99, epsilon 1e-3) are tfjs' defaults too.
      // The stock layer with a fused training path; saves as the stock one.
      new FusedBatchNormalization({ name: "batchnorm_1" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool_1" }),
      tf.layers.conv2d({
        filters: 64,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: glorot(seed, 2),
        name: "conv_2",
      }),
      new FusedBatchNormalization({ name: "batchnorm_2" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool_2" }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dropout({ rate: 0.3, name: "dropout_1" }),
      tf.layers.dense({
        units: 128,
        activation: "relu",
        kernelInitializer: glorot(seed, 3),
        name: "dense_1",
      }),
      tf.layers.dropout({ rate: 0.3, name: "dropout_2" }),
      tf.layers.dense({
        units: 10,
        activation: "softmax",
        kernelInitializer: glorot(seed, 4),
        name: "output",
      }),
    ],
  });
}

/** Build a model by name, optionally standardising its input. */
export function buildModel(
  name: ModelName,
  seed: number,
  standardize?: InputScaling,
): tf.Sequential {
  return name === "dense"
    ? buildDense(seed, standardize)
    : buildCnn(seed, standardize);
}

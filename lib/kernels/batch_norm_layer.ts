/**
 * tfjs-layers' BatchNormalization with a fused training path: in training,
 * one kernel (configs/batch_norm_train.ts) computes the batch statistics
 * and normalises, and the tape sees that one op, whose gradient is one
 * kernel too. Everything else — inference, weights, config, the moving
 * averages' update — is the stock layer's.
 *
 * Its class name stays "BatchNormalization" and the class is not
 * registered for deserialisation, so a saved model (model.json and
 * weights) is byte for byte what the stock layer writes, and loads as the
 * stock layer in Deno, Node or a browser.
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { GRAD_KERNELS } from "./gradients.ts";

/** The stock layer, as `tf.layers.batchNormalization` returns it. */
type StockBatchNorm = ReturnType<typeof tf.layers.batchNormalization>;
/** Its constructor's arguments. */
export type BatchNormArgs = NonNullable<
  Parameters<typeof tf.layers.batchNormalization>[0]
>;
type Kwargs = Parameters<StockBatchNorm["call"]>[1];

/**
 * The stock class, from tfjs' serialisation registry (tfjs-layers does not
 * export it by name; creating an instance to reach it would use up an
 * automatic layer name).
 */
const Stock = tf.serialization.SerializationMap.getMap()
  .classNameMap["BatchNormalization"][0] as unknown as new (
    args?: BatchNormArgs,
  ) => StockBatchNorm;

/** The layer's private fields this class reads (tfjs-layers 4.22.0). */
interface Weights {
  gamma?: { read(): tf.Tensor };
  beta?: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
}

/** The parts of the config the fused path depends on. */
interface Settings {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

/**
 * BatchNormalization whose training forward and backward are fused
 * kernels where the backend has them (ours on wasm and cpu), channels on
 * the last axis, with both gamma and beta; otherwise, and in inference,
 * the stock layer.
 *
 * @example
 * ```ts
 * import { tf } from "../core/mod.ts";
 *
 * const model = tf.sequential({
 *   layers: [new FusedBatchNormalization({ inputShape: [4] })],
 * });
 * console.log(model.layers[0].getClassName()); // "BatchNormalization"
 * ```
 */
export class FusedBatchNormalization extends Stock {
  /** The stock name: saved models name the stock layer. */
  static className = "BatchNormalization";

  #settings?: Settings;

  /** Training through the fused kernel when it applies, else stock. */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Kwargs,
  ): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) && inputs.length === 1
      ? inputs[0]
      : inputs;
    if (kwargs["training"] === true && !Array.isArray(input)) {
      const fused = this.#fusedTraining(input);
      if (fused) return fused;
    }
    return super.call(inputs, kwargs);
  }

  #fusedTraining(x: tf.Tensor): tf.Tensor | null {
    const s = this.#settings ??= this.getConfig() as unknown as Settings;
    const lastAxis = s.axis === -1 || s.axis === x.rank - 1;
    if (
      !lastAxis || !s.center || !s.scale || x.dtype !== "float32" ||
      x.rank < 2 || x.size === 0 || !fusedAvailable()
    ) return null;
    const w = this as unknown as Weights;
    if (!w.gamma || !w.beta) return null;
    const { gamma, beta } = w;
    return tf.tidy(() => {
      const [y, mean, variance] = tf.engine().runKernel(
        GRAD_KERNELS.batchNormTrain,
        { x, scale: gamma.read(), offset: beta.read() },
        { varianceEpsilon: s.epsilon },
      ) as tf.Tensor[];
      movingAverage(w.movingMean, mean, s.momentum);
      movingAverage(w.movingVariance, variance, s.momentum);
      return y;
    });
  }
}

/** Our kernel on the active backend, and its gradient registered. */
function fusedAvailable(): boolean {
  return tf.getKernel(GRAD_KERNELS.batchNormTrain, tf.getBackend()) !==
      undefined &&
    tf.getGradient(GRAD_KERNELS.batchNormTrain) !== undefined;
}

/**
 * tfjs-layers' own moving-average update, operation for operation:
 * variable − (variable − value)·(1 − momentum). `value` is the batch's
 * biased variance for the moving variance, as in the stock layer.
 */
function movingAverage(
  variable: Weights["movingMean"],
  value: tf.Tensor,
  momentum: number,
): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    const orig = variable.read();
    const delta = tf.mul(tf.sub(orig, value), decay);
    variable.write(tf.sub(orig, delta));
  });
}

/**
 * The fused epilogue of FusedConv2D and _FusedMatMul: which ones our
 * kernels handle (a per-channel or scalar bias, then nothing or relu), and
 * the loop that applies it to a GEMM's output.
 *
 * @module
 */
import { tf } from "../core/mod.ts";

/**
 * Whether our epilogue computes this fused op's: no PReLU weights, a
 * linear or relu activation, and a bias (if any) of rank ≤ 1 with one
 * value per output channel (`channels`) or a single value.
 */
export function epilogueSupported(
  bias: tf.TensorInfo | undefined,
  preluActivationWeights: tf.TensorInfo | undefined,
  activation: string | undefined,
  channels: number,
): boolean {
  const biasOk = !bias || bias.shape.length <= 1 &&
      (tf.util.sizeFromShape(bias.shape) === channels ||
        tf.util.sizeFromShape(bias.shape) === 1);
  return !preluActivationWeights &&
    (activation === "linear" || activation === "relu") && biasOk;
}

/**
 * Adds a per-channel bias and applies relu in place (the fused epilogue),
 * in one pass over `y`: the tensor is large and memory traffic dominates.
 */
export function epilogue(
  y: Float32Array,
  channels: number,
  bias: Float32Array | null,
  relu: boolean,
): void {
  const n = y.length;
  if (bias && bias.length === channels && channels > 1) {
    const b = bias.slice(); // plain JS-heap copy: cheaper to index than a wasm view
    if (relu) {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) {
          const v = y[i + c] + b[c];
          y[i + c] = v > 0 ? v : 0;
        }
      }
    } else {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) y[i + c] += b[c];
      }
    }
    return;
  }
  const b0 = bias ? bias[0] : 0;
  if (relu) {
    for (let i = 0; i < n; i++) {
      const v = y[i] + b0;
      y[i] = v > 0 ? v : 0;
    }
  } else if (b0 !== 0) { for (let i = 0; i < n; i++) y[i] += b0; }
}

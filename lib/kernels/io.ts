/**
 * How the custom kernels reach tensor memory on the `cpu` and `wasm`
 * backends: flat Float32Array views of inputs and freshly allocated
 * outputs, with a copy-in/copy-out mode for when the wasm heap may grow
 * (and detach views) while a kernel runs.
 *
 * @module
 */
import { tf } from "../core/mod.ts";

/** A tensor's backend data handle. */
export type DataId = tf.TensorInfo["dataId"];

/** The part of tfjs-backend-wasm's BackendWasm that these kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

/** The part of tfjs-backend-cpu's MathBackendCPU that these kernels use. */
export interface CpuBackendLike {
  data: { get(dataId: DataId): { values?: tf.backend_util.BackendValues } };
  makeTensorInfo(
    shape: number[],
    dtype: tf.DataType,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
}

/**
 * How kernels reach tensor memory on one backend. `alloc` must be called
 * before `view`/`read` whenever heap growth could detach earlier views.
 */
export interface FlatIO {
  /** True when views stay valid while the kernel runs (no backend allocation inside it). */
  readonly stableViews: boolean;
  /** Allocates a float32 output of `shape`. */
  alloc(shape: number[]): tf.TensorInfo;
  /** A flat view of a float32 tensor's data. */
  view(t: tf.TensorInfo): Float32Array;
}

/** Flat IO on the cpu backend (views are plain JS arrays, always stable). */
export function cpuIO(backend: object): FlatIO {
  const b = backend as CpuBackendLike;
  return {
    stableViews: true,
    alloc: (shape) =>
      b.makeTensorInfo(
        shape,
        "float32",
        new Float32Array(tf.util.sizeFromShape(shape)),
      ),
    view: (t) => {
      const v = b.data.get(t.dataId).values;
      if (v instanceof Float32Array) return v;
      throw new Error(`fast kernels: tensor ${t.shape} has no float32 data`);
    },
  };
}

/** Flat IO on the wasm backend (views into the wasm heap). */
export function wasmIO(backend: object, stableViews: boolean): FlatIO {
  const b = backend as WasmBackendLike;
  return {
    stableViews,
    alloc: (shape) => b.makeOutput(shape, "float32"),
    view: (t) => b.typedArrayFromHeap(t) as Float32Array,
  };
}

/** Flat IO for kernels that allocate nothing while they run. */
export function plainIO(isWasm: boolean, backend: object): FlatIO {
  return isWasm ? wasmIO(backend, true) : cpuIO(backend);
}

/**
 * Runs `fn` with `count` float64 values of scratch on the wasm heap (for a
 * SIMD loop that reads or accumulates float64), freed afterwards. The
 * scratch is allocated before `fn` allocates its outputs, so no view taken
 * inside `fn` is detached by it; `scratch()` gives a fresh view.
 */
export function withFloat64Scratch<T>(
  io: FlatIO,
  backend: object,
  count: number,
  fn: (scratch: () => Float64Array) => T,
): T {
  const info = io.alloc([2 * count]);
  try {
    return fn(() => {
      const view = io.view(info);
      return new Float64Array(view.buffer, view.byteOffset, count);
    });
  } finally {
    (backend as WasmBackendLike).disposeData(info.dataId, true);
  }
}

/**
 * Runs `fn` over flat views of `inputs` and a freshly allocated output.
 * When views are not stable (the GEMM allocates on the wasm heap, which may
 * grow and detach them) inputs are copied out first and the result is
 * copied in at the end.
 */
export function runFlat(
  io: FlatIO,
  inputs: tf.TensorInfo[],
  outShape: number[],
  fn: (ins: Float32Array[], out: Float32Array) => void,
): tf.TensorInfo {
  const out = io.alloc(outShape);
  if (io.stableViews) {
    fn(inputs.map((t) => io.view(t)), io.view(out));
    return out;
  }
  const ins = inputs.map((t) => io.view(t).slice());
  const res = new Float32Array(tf.util.sizeFromShape(outShape));
  fn(ins, res);
  io.view(out).set(res);
  return out;
}

/**
 * Like {@link runFlat} with several outputs, for kernels that allocate
 * nothing while they run (`io.stableViews` must be true). All outputs are
 * allocated before any view is taken, so heap growth cannot detach them.
 */
export function runFlatMulti(
  io: FlatIO,
  inputs: tf.TensorInfo[],
  outShapes: number[][],
  fn: (ins: Float32Array[], outs: Float32Array[]) => void,
): tf.TensorInfo[] {
  const outs = outShapes.map((s) => io.alloc(s));
  fn(inputs.map((t) => io.view(t)), outs.map((t) => io.view(t)));
  return outs;
}

/** What a tfjs kernel function is called with: inputs, backend, attrs. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Required kernel input (tfjs types every input as optional). */
export function req(args: KernelArgs, name: string): tf.TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`fast kernels: missing input "${name}"`);
  return t;
}

/** True when every present tensor is float32. */
export const allFloat = (ts: (tf.TensorInfo | undefined)[]): boolean =>
  ts.every((t) => !t || t.dtype === "float32");

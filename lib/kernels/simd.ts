/**
 * WebAssembly SIMD loops that run on tfjs-backend-wasm's own heap (the
 * module imports the backend's `WebAssembly.Memory`), so elementwise
 * kernels work on tensors where they live.
 *
 * Why: the JavaScript loops over heap views that the other kernels use
 * run at 1.5–12 ns per element (Adam's `Math.fround` chain is the slowest);
 * 4-lane f32x4/i32x4 loops take ~0.3–0.7 ns. Exactness: f32x4
 * add/mul/div/sqrt are IEEE float32 operations (no FMA), and the integer
 * tricks are exact, so every loop matches its JavaScript twin bit for bit
 * (tests/kernels_test.ts checks both against tfjs).
 *
 * The loops' source is simd.wat; `deno task build:wasm` compiles it into
 * simd_wasm.ts, which this module instantiates (no toolchain at run time).
 *
 * All loops take byte offsets into the heap and a byte count that is a
 * multiple of 16; callers do the remaining < 4 elements in JavaScript.
 *
 * @module
 */

import { SIMD_PROBE, SIMD_WASM } from "./simd_wasm.ts";

/** The loops, as callable exports of one instance per heap. */
export interface SimdLoops {
  /**
   * Adam: (val, m, v, g, outVal, outM, outV, bytes, β₁, 1−β₁, β₂, 1−β₂,
   * 1−β₁ᵗ, 1−β₂ᵗ, ε, −lr), with tfjs' operation order (see adam.ts).
   */
  adam(...args: number[]): void;
  /**
   * Relu gradient by bit mask (as grad_math.ts' `reluGrad`): out = dy where
   * x's bits are a positive int, else +0. Returns non-zero when some x is
   * NaN or some dy non-finite: the caller must then use the float loop.
   */
  reluGrad(x: number, dy: number, out: number, bytes: number): number;
  /** Square gradient: out = dy · (x · 2). */
  squareGrad(x: number, dy: number, out: number, bytes: number): void;
  /**
   * Batch norm over the last axis as grad_math's `batchNormLastAxis`:
   * out = float32(x · a[c] + b[c]) in float64, two channels per step
   * (C even). `ab` holds float64 a[0..C) then b[0..C); `rowBytes` = 4C.
   */
  batchNorm(
    x: number,
    out: number,
    ab: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * The two-row main loop of grad_math's `batchNormGrad` over `bytes` of
   * x/dy/dx (whole row pairs), two channels per step (C even). `scratch`
   * holds float64 m[C], k[C], s1[C], s2[C]; s1 and s2 are accumulated.
   */
  batchNormGrad(
    x: number,
    dy: number,
    dx: number,
    scratch: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * The four-row loop of batch_norm_train.ts' `trainMoments` over `bytes`
   * of x (whole groups of four rows), four channels per step (C a multiple
   * of 4). `scratch` holds float32 k[C] (in the space of a float64 array),
   * then float64 s1[C], s2[C], which are accumulated.
   */
  moments(x: number, scratch: number, rowBytes: number, bytes: number): void;
  /**
   * The four-row loop of batch_norm_train.ts' `gradSums` over `bytes` of
   * x/dy (whole groups of four rows), four channels per step (C a multiple
   * of 4). `scratch` holds float32 m[C] (in the space of a float64 array),
   * then float64 s1[C], s2[C], which are accumulated.
   */
  batchNormGradSums(
    x: number,
    dy: number,
    scratch: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * batch_norm_train.ts' `gradApply` over `bytes` of x/dy/dx (whole rows,
   * C a multiple of 4), in float32: dx = (dy·k + (x − m)·a) + b; `co`
   * holds float32 m[C], k[C], a[C], b[C].
   */
  batchNormGradApply(
    x: number,
    dy: number,
    dx: number,
    co: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * batch_norm_train.ts' `affineLastAxis` over `bytes` of x/out (whole
   * rows, C a multiple of 4), in float32: out = x·a + b; `ab` holds float32
   * a[C] then b[C].
   */
  affine(
    x: number,
    out: number,
    ab: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * The four-row loop of reduce.ts' `sumRows` over `bytes` (whole groups of
   * four rows), two columns per step (C even), into float64 `acc`.
   */
  sumRows(x: number, acc: number, rowBytes: number, bytes: number): void;
  /**
   * One output row of conv.ts' `maxPoolGrad2x2` (C a multiple of 4): x/dx
   * at the window row's start, y/dy at the output row's start. Returns
   * non-zero when some window has no element equal to its output or a NaN
   * maximum (the caller then uses the general loop).
   */
  maxPoolGrad2x2(
    x: number,
    y: number,
    dy: number,
    dx: number,
    rowBytes: number,
    cBytes: number,
    outBytes: number,
  ): number;
}

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

const base64Bytes = (text: string) =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

let compiled: WebAssembly.Module | null | undefined;

/**
 * simd.wat's module, or null when the engine has no SIMD (the probe does
 * not validate). Any other failure to compile is a bug or a broken build
 * of simd_wasm.ts, and throws.
 */
function simdModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  if (!WebAssembly.validate(base64Bytes(SIMD_PROBE))) return compiled = null;
  try {
    return compiled = new WebAssembly.Module(base64Bytes(SIMD_WASM));
  } catch (error) {
    throw new Error(
      `simd_wasm.ts does not compile (rerun deno task build:wasm): ${
        firstLine(error)
      }`,
      { cause: error },
    );
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0];
}

/**
 * The loops bound to a tfjs-backend-wasm backend's heap, or null when they
 * cannot be had (another backend, no SIMD): callers then use JavaScript.
 * Throws when the module exists but will not instantiate on this heap.
 */
export function simdLoops(backend: object): SimdLoops | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm
    ?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let loops = instances.get(memory);
  if (loops === undefined) {
    const module = simdModule();
    if (module) {
      try {
        const instance = new WebAssembly.Instance(module, {
          env: { memory },
        });
        loops = instance.exports as unknown as SimdLoops;
      } catch (error) {
        throw new Error(
          `the SIMD loops do not instantiate on the wasm backend's heap: ${
            firstLine(error)
          }`,
          { cause: error },
        );
      }
    } else {
      loops = null;
    }
    instances.set(memory, loops);
  }
  return loops;
}

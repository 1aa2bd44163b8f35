/**
 * Registers faster training kernels on the tfjs `cpu` and `wasm` backends.
 *
 * What each backend gets and why (measured, see REPORT.md):
 * - wasm lacks `Conv2DBackpropFilter`; its `Conv2DBackpropInput` is a plain
 *   loop; its `BatchMatMul` is ~10x slower when either operand is
 *   transposed (the weight gradients of dense layers).
 * - cpu's conv backprops and `MaxPoolGrad` call `TensorBuffer.get` per
 *   multiply-add; its conv forward and matmul are slow JS loops.
 *
 * All heavy kernels are lowered to one GEMM (see conv.ts). The GEMM is
 * native OpenBLAS through FFI when available, else the wasm backend's own
 * XNNPACK matmul (wasm), else JavaScript (cpu).
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { type Blas, loadBlas, type Sgemm } from "./blas.ts";
import { jsSgemm, wasmSgemm } from "./gemm.ts";
import { epilogue } from "./epilogue.ts";
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dForward,
  type ConvGeometry,
  maxPoolGrad,
  maxPoolGrad2x2,
  maxPoolGrad2x2Simd,
  type PoolGeometry,
} from "./conv.ts";
import {
  batchNormCoefficients,
  batchNormLastAxis,
  leadingAxes,
  repeatInto,
  sumRows,
} from "./reduce.ts";
import {
  allFloat,
  cpuIO,
  type FlatIO,
  plainIO,
  req,
  runFlat,
  type WasmBackendLike,
  wasmIO,
  withFloat64Scratch,
} from "./io.ts";
import { installFastGradients, registerGradientKernels } from "./gradients.ts";
import { simdLoops } from "./simd.ts";

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];
type DataFormat = "NHWC" | "NCHW";
type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    tf.backend_util.convertConv2DDataFormat(
      (attrs.dataFormat ?? "NHWC") as DataFormat,
    ),
  );
}

/** Options for {@link registerFastKernels}. */
export interface FastKernelOptions {
  /**
   * Native BLAS: `true` (default) loads OpenBLAS if present, `false` never
   * does, or pass an already loaded {@link Blas}.
   */
  blas?: boolean | Blas;
  /** OpenBLAS thread count when it is loaded here (default 1: measured best). */
  blasThreads?: number;
  /**
   * Also replace the conv forward on wasm with im2col + BLAS (only when BLAS
   * is loaded). Default true.
   */
  wasmConvForward?: boolean;
  /**
   * Install the fused gradients of gradients.ts (BatchNorm, Mean, Square,
   * Relu) and their kernels. Default true.
   */
  fastGradients?: boolean;
}

/** What {@link registerFastKernels} did. */
export interface FastKernelReport {
  /** The backend the kernels were registered on. */
  backend: string;
  /** Which GEMM the conv kernels use. */
  gemm: "openblas" | "wasm-xnnpack" | "js";
  /** The BLAS library path, when one is used. */
  blasPath?: string;
  /** Kernel names that were replaced or added. */
  kernels: string[];
}

/**
 * Replaces/adds training kernels on `backendName` ("cpu" or "wasm").
 * Call after `await tf.setBackend(backendName)` (the wasm backend must be
 * initialised). Safe to call more than once: originals are kept from the
 * first call. Every replaced kernel falls back to the original for cases it
 * does not handle (non-float32, NCHW, exotic broadcasting or activations).
 */
export function registerFastKernels(
  backendName: string,
  options: FastKernelOptions = {},
): FastKernelReport {
  if (backendName !== "cpu" && backendName !== "wasm") {
    throw new Error(
      `registerFastKernels: unsupported backend "${backendName}" (use "cpu" or "wasm")`,
    );
  }
  const isWasm = backendName === "wasm";
  const blas = options.blas === false
    ? null
    : typeof options.blas === "object"
    ? options.blas
    : loadBlas({ threads: options.blasThreads ?? 1 });

  const original = (name: string): tf.KernelConfig | undefined => {
    const key = `${backendName}_${name}`;
    const saved = originals.get(key);
    if (saved) return saved;
    const k = tf.getKernel(name, backendName);
    if (k) originals.set(key, k);
    return k;
  };
  const replaced: string[] = [];
  const register = (name: string, kernelFunc: tf.KernelFunc) => {
    const orig = original(name);
    if (orig) tf.unregisterKernel(name, backendName);
    // Keep the original setupFunc: wasm kernels bind their C functions
    // there, and our wrappers call the original kernelFunc as fallback.
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc,
      setupFunc: orig?.setupFunc,
    });
    replaced.push(name);
  };
  const fallback = (name: string): tf.KernelFunc => {
    const orig = original(name);
    return orig ? orig.kernelFunc : () => {
      throw new Error(`fast kernels: no ${name} fallback on ${backendName}`);
    };
  };

  const bmmOrig = fallback("BatchMatMul");
  let gemm: Sgemm;
  let gemmName: FastKernelReport["gemm"];
  let ioFor: (backend: object) => FlatIO;
  if (blas) {
    gemm = blas.sgemm;
    gemmName = "openblas";
    ioFor = isWasm ? (b) => wasmIO(b, true) : cpuIO;
  } else if (isWasm) {
    let cached: { backend: object; gemm: Sgemm } | null = null;
    gemm = (...args) => {
      // The backend object is only known at call time; see currentBackend.
      const be = currentBackend;
      if (!cached || cached.backend !== be) {
        cached = { backend: be, gemm: wasmSgemm(be, bmmOrig) };
      }
      cached.gemm(...args);
    };
    gemmName = "wasm-xnnpack";
    ioFor = (b) => wasmIO(b, false);
  } else {
    gemm = jsSgemm;
    gemmName = "js";
    ioFor = cpuIO;
  }
  let currentBackend: object = {};
  // The shifted-GEMM conv forms issue KH*KW small GEMM calls: they pay only
  // when a call is cheap, i.e. with BLAS.
  const useTaps = gemmName === "openblas";
  /**
   * The shared tail of the conv kernels: note the backend for the wasm
   * GEMM, derive the geometry, and run `compute` over flat views.
   */
  const runConv = (
    args: KernelArgs,
    info: tf.backend_util.Conv2DInfo,
    inputs: tf.TensorInfo[],
    outShape: number[],
    compute: (ins: Float32Array[], out: Float32Array, g: ConvGeometry) => void,
  ): tf.TensorInfo => {
    currentBackend = args.backend;
    const g = geometry(info);
    return runFlat(
      ioFor(args.backend),
      inputs,
      outShape,
      (ins, out) => compute(ins, out, g),
    );
  };

  // --- Conv2DBackpropFilter --------------------------------------------
  const cbfOrig = original("Conv2DBackpropFilter");
  register("Conv2DBackpropFilter", (args) => {
    const x = req(args, "x"), dy = req(args, "dy");
    const info = convInfo(
      x.shape,
      args.attrs?.filterShape as number[],
      args.attrs ?? {},
    );
    if (info.dataFormat !== "channelsLast" || !allFloat([x, dy])) {
      if (cbfOrig) return cbfOrig.kernelFunc(args);
      throw new Error(
        "fast Conv2DBackpropFilter: only NHWC float32 is supported on this backend",
      );
    }
    return runConv(
      args,
      info,
      [x, dy],
      info.filterShape.slice(),
      ([xv, dyv], out, g) => {
        conv2dBackpropFilter(xv, dyv, out, g, gemm, useTaps);
      },
    );
  });

  // --- Conv2DBackpropInput ---------------------------------------------
  const cbiOrig = fallback("Conv2DBackpropInput");
  register("Conv2DBackpropInput", (args) => {
    const dy = req(args, "dy"), filter = req(args, "filter");
    const attrs = args.attrs ?? {};
    const info = convInfo(attrs.inputShape as number[], filter.shape, attrs);
    if (info.dataFormat !== "channelsLast" || !allFloat([dy, filter])) {
      return cbiOrig(args);
    }
    return runConv(
      args,
      info,
      [dy, filter],
      info.inShape.slice(),
      ([dyv, wv], out, g) => {
        conv2dBackpropInput(dyv, wv, out, g, gemm, useTaps);
      },
    );
  });

  // --- Conv2D / FusedConv2D forward -------------------------------------
  // On wasm XNNPACK's conv is already good; replace it only with BLAS.
  if (!isWasm || (blas && options.wasmConvForward !== false)) {
    const convOrig = fallback("Conv2D");
    register("Conv2D", (args) => {
      const x = req(args, "x"), filter = req(args, "filter");
      const attrs = args.attrs ?? {};
      const info = convInfo(
        x.shape,
        filter.shape,
        attrs,
        attrs.dilations as number | [number, number],
      );
      if (info.dataFormat !== "channelsLast" || !allFloat([x, filter])) {
        return convOrig(args);
      }
      return runConv(
        args,
        info,
        [x, filter],
        info.outShape.slice(),
        ([xv, wv], out, g) => {
          conv2dForward(xv, wv, out, g, gemm, useTaps);
        },
      );
    });
    const fusedOrig = fallback("FusedConv2D");
    register("FusedConv2D", (args) => {
      const x = req(args, "x"), filter = req(args, "filter");
      const { bias, preluActivationWeights } = args.inputs;
      const attrs = args.attrs ?? {};
      const act = attrs.activation as string;
      const info = convInfo(
        x.shape,
        filter.shape,
        attrs,
        attrs.dilations as number | [number, number],
      );
      const biasOk = !bias || bias.shape.length <= 1 &&
          (tf.util.sizeFromShape(bias.shape) === info.outChannels ||
            tf.util.sizeFromShape(bias.shape) === 1);
      if (
        info.dataFormat !== "channelsLast" || !allFloat([x, filter, bias]) ||
        preluActivationWeights ||
        (act !== "linear" && act !== "relu") || !biasOk
      ) return fusedOrig(args);
      const ins = bias ? [x, filter, bias] : [x, filter];
      return runConv(
        args,
        info,
        ins,
        info.outShape.slice(),
        ([xv, wv, bv], out, g) => {
          conv2dForward(xv, wv, out, g, gemm, useTaps);
          epilogue(out, info.outChannels, bv ?? null, act === "relu");
        },
      );
    });
  }

  // --- MaxPoolGrad ---------------------------------------------------------
  // cpu's reads TensorBuffer.get per element; wasm's (4.22.0) is wrong: it
  // drops gradients of output columns past the second (check_kernels.ts
  // shows it), which silently corrupts CNN training. Replace both.
  {
    register("MaxPoolGrad", (args) => {
      const dy = req(args, "dy"), input = req(args, "input");
      const attrs = args.attrs ?? {};
      const info = tf.backend_util.computePool2DInfo(
        input.shape as Shape4,
        attrs.filterSize as number | [number, number],
        attrs.strides as number | [number, number],
        1,
        attrs.pad as Pad,
        attrs.dimRoundingMode as Rounding,
      );
      const g: PoolGeometry = {
        batchSize: info.batchSize,
        inHeight: info.inHeight,
        inWidth: info.inWidth,
        channels: info.inChannels,
        outHeight: info.outHeight,
        outWidth: info.outWidth,
        filterHeight: info.filterHeight,
        filterWidth: info.filterWidth,
        strideHeight: info.strideHeight,
        strideWidth: info.strideWidth,
        dilationHeight: info.dilationHeight,
        dilationWidth: info.dilationWidth,
        padTop: info.padInfo.top,
        padLeft: info.padInfo.left,
      };
      // No GEMM here, so heap views stay valid on wasm too.
      const io = plainIO(isWasm, args.backend);
      const output = args.inputs.output;
      const pool2 = output !== undefined && allFloat([input, dy, output]) &&
        g.filterHeight === 2 && g.filterWidth === 2 &&
        g.strideHeight === 2 && g.strideWidth === 2 && g.padTop === 0 &&
        g.padLeft === 0 && g.dilationHeight === 1 && g.dilationWidth === 1 &&
        tf.util.arraysEqual(output.shape, dy.shape);
      if (pool2) {
        return runFlat(
          io,
          [input, output, dy],
          input.shape.slice(),
          ([xv, yv, dyv], out) => {
            const loops = isWasm && g.channels % 4 === 0
              ? simdLoops(args.backend)
              : null;
            const done = loops
              ? maxPoolGrad2x2Simd(loops, xv, yv, dyv, out, g)
              : maxPoolGrad2x2(xv, yv, dyv, out, g);
            if (!done) maxPoolGrad(xv, dyv, out, g);
          },
        );
      }
      return runFlat(io, [input, dy], input.shape.slice(), ([xv, dyv], out) => {
        maxPoolGrad(xv, dyv, out, g);
      });
    });
  }

  // --- Sum / Mean over leading axes, Tile of a broadcast vector -----------
  // BatchNormalization's moments and gradient reduce [N,H,W,C] to [C] and
  // tile [1,1,1,C] to [N,H,W,C]; both backends are slow at exactly that.
  // No GEMM runs here, so heap views stay valid on wasm.
  for (const name of ["Sum", "Mean"]) {
    const orig = fallback(name);
    register(name, (args) => {
      const x = req(args, "x");
      const attrs = args.attrs ?? {};
      const r = x.shape.length;
      const lead = leadingAxes(attrs.axis as number | number[] | undefined, r);
      if (x.dtype !== "float32" || lead === null || lead === 0 || r === 0) {
        return orig(args);
      }
      const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
      const inner = x.shape.slice(lead);
      const cols = tf.util.sizeFromShape(inner);
      const outShape = attrs.keepDims
        ? [...Array(lead).fill(1), ...inner]
        : inner;
      const io = plainIO(isWasm, args.backend);
      const loops = isWasm && cols % 2 === 0 && rows >= 4
        ? simdLoops(args.backend)
        : null;
      // `heap`: where the SIMD loop accumulates (float64).
      const run = (heap?: () => Float64Array) =>
        runFlat(io, [x], outShape, ([xv], out) => {
          const leading = loops && heap
            ? (acc: Float64Array) => {
              const f64 = heap();
              f64.fill(0);
              const groups = Math.floor(rows / 4);
              loops.sumRows(
                xv.byteOffset,
                f64.byteOffset,
                4 * cols,
                groups * 16 * cols,
              );
              acc.set(f64);
              return groups * 4;
            }
            : undefined;
          sumRows(xv, rows, cols, out, name === "Mean" ? 1 / rows : 1, leading);
        });
      return loops ? withFloat64Scratch(io, args.backend, cols, run) : run();
    });
  }
  const tileOrig = fallback("Tile");
  register("Tile", (args) => {
    const x = req(args, "x");
    const reps = (args.attrs?.reps ?? []) as number[];
    // Fast path: reps only on leading axes where x has size 1 (a per-channel
    // vector broadcast over N, H, W), so the output is x repeated.
    let k = 0;
    while (k < reps.length && x.shape[k] === 1) k++;
    const simple = x.dtype === "float32" && reps.length === x.shape.length &&
      reps.every((v, i) => i < k || v === 1);
    if (!simple) return tileOrig(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    return runFlat(
      plainIO(isWasm, args.backend),
      [x],
      outShape,
      ([xv], out) => repeatInto(xv, out),
    );
  });

  const bnOrig = fallback("FusedBatchNorm");
  register("FusedBatchNorm", (args) => {
    const x = req(args, "x"),
      mean = req(args, "mean"),
      variance = req(args, "variance");
    const { offset, scale } = args.inputs;
    const C = x.shape[x.shape.length - 1] ?? 1;
    const okLen = (t: tf.TensorInfo | undefined) => {
      if (!t) return true;
      const n = tf.util.sizeFromShape(t.shape);
      // Per-channel vectors only (any rank, e.g. [1,1,1,C]) or scalars.
      return n === 1 || (n === C && t.shape[t.shape.length - 1] === C);
    };
    if (
      !allFloat([x, mean, variance, offset, scale]) ||
      ![mean, variance, offset, scale].every(okLen)
    ) {
      return bnOrig(args);
    }
    const eps = (args.attrs?.varianceEpsilon as number | undefined) ?? 0.001;
    const ins = [x, mean, variance, offset ?? mean, scale ?? mean];
    const io = plainIO(isWasm, args.backend);
    const loops = isWasm && C % 2 === 0 ? simdLoops(args.backend) : null;
    if (loops) {
      // The SIMD loop reads a and b as float64 from the heap.
      return withFloat64Scratch(io, args.backend, 2 * C, (heap) =>
        runFlat(
          io,
          ins,
          x.shape.slice(),
          ([xv, mv, vv, ov, sv], out) => {
            const { a, b } = batchNormCoefficients(
              C,
              mv,
              vv,
              offset ? ov : null,
              scale ? sv : null,
              eps,
            );
            const ab = heap();
            ab.set(a, 0);
            ab.set(b, C);
            loops.batchNorm(
              xv.byteOffset,
              out.byteOffset,
              ab.byteOffset,
              4 * C,
              xv.length * 4,
            );
          },
        ));
    }
    return runFlat(
      io,
      ins,
      x.shape.slice(),
      ([xv, mv, vv, ov, sv], out) => {
        batchNormLastAxis(
          xv,
          C,
          mv,
          vv,
          offset ? ov : null,
          scale ? sv : null,
          eps,
          out,
        );
      },
    );
  });

  // --- BatchMatMul / _FusedMatMul ----------------------------------------
  if (blas) {
    const bmm = (
      be: object,
      a: tf.TensorInfo,
      b: tf.TensorInfo,
      tA: boolean,
      tB: boolean,
      epi?: { bias: tf.TensorInfo | undefined; relu: boolean },
    ): tf.TensorInfo | null => {
      const ra = a.shape.length, rb = b.shape.length;
      const m = tA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = tA ? a.shape[ra - 2] : a.shape[ra - 1];
      const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
      const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
      const batchA = tf.util.sizeFromShape(outerA),
        batchB = tf.util.sizeFromShape(outerB);
      // Only same-batch or one-sided broadcast of a single matrix.
      if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
      const outer = batchA >= batchB ? outerA : outerB;
      const batch = Math.max(batchA, batchB);
      const ins = epi?.bias ? [a, b, epi.bias] : [a, b];
      return runFlat(
        ioFor(be),
        ins,
        [...outer, m, n],
        ([av, bv, biasv], out) => {
          for (let i = 0; i < batch; i++) {
            const ao = batchA === 1 ? 0 : i * m * k;
            const bo = batchB === 1 ? 0 : i * k * n;
            blas.sgemm(
              tA,
              tB,
              m,
              n,
              k,
              1,
              av.subarray(ao),
              tA ? m : k,
              bv.subarray(bo),
              tB ? k : n,
              0,
              out.subarray(i * m * n),
              n,
            );
          }
          if (epi) epilogue(out, n, biasv ?? null, epi.relu);
        },
      );
    };
    register("BatchMatMul", (args) => {
      const a = req(args, "a"), b = req(args, "b");
      const attrs = args.attrs ?? {};
      if (!allFloat([a, b])) return bmmOrig(args);
      return bmm(args.backend, a, b, !!attrs.transposeA, !!attrs.transposeB) ??
        bmmOrig(args);
    });
    const fmmOrig = fallback("_FusedMatMul");
    register("_FusedMatMul", (args) => {
      const a = req(args, "a"), b = req(args, "b");
      const { bias, preluActivationWeights } = args.inputs;
      const attrs = args.attrs ?? {};
      const act = attrs.activation as string;
      const n = attrs.transposeB
        ? b.shape[b.shape.length - 2]
        : b.shape[b.shape.length - 1];
      const biasOk = !bias || bias.shape.length <= 1 &&
          (tf.util.sizeFromShape(bias.shape) === n ||
            tf.util.sizeFromShape(bias.shape) === 1);
      if (
        !allFloat([a, b, bias]) || preluActivationWeights ||
        (act !== "linear" && act !== "relu") || !biasOk
      ) {
        return fmmOrig(args);
      }
      return bmm(args.backend, a, b, !!attrs.transposeA, !!attrs.transposeB, {
        bias,
        relu: act === "relu",
      }) ??
        fmmOrig(args);
    });
  } else if (isWasm) {
    // No BLAS: route transposed matmuls through an explicit Transpose so
    // XNNPACK sees its fast untransposed layout. This also fixes wasm's
    // _FusedMatMul, which returns wrong values when an operand is
    // transposed (check_kernels.ts --no-blas without this override).
    const transpose = fallback("Transpose");
    const untranspose = (name: string) => {
      const orig = fallback(name);
      register(name, (args) => {
        const attrs = args.attrs ?? {};
        if (!attrs.transposeA && !attrs.transposeB) return orig(args);
        const a = req(args, "a"), b = req(args, "b");
        const tr = (t: tf.TensorInfo, on: boolean): tf.TensorInfo => {
          if (!on) return t;
          const r = t.shape.length;
          const perm = [...Array(r - 2).keys(), r - 1, r - 2];
          // Call the backend's kernel directly (not through the engine) so
          // the temporary is never seen by the tape or memory tracking.
          return transpose({
            inputs: { x: t },
            backend: args.backend,
            attrs: { perm },
          }) as tf.TensorInfo;
        };
        const at = tr(a, !!attrs.transposeA), bt = tr(b, !!attrs.transposeB);
        const out = orig({
          inputs: { ...args.inputs, a: at, b: bt },
          backend: args.backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
        const be = args.backend as WasmBackendLike;
        if (at !== a) be.disposeData(at.dataId);
        if (bt !== b) be.disposeData(bt.dataId);
        return out;
      });
    };
    untranspose("BatchMatMul");
    untranspose("_FusedMatMul");
  }

  // --- Identity / same-dtype Cast on wasm ---------------------------------
  // tfjs clones every tensor it saves for the backward pass (Identity) and
  // moments() casts float32 to float32; wasm copies both, cpu shares the
  // buffer. Share it here too (tensors are immutable; the backend keeps a
  // reference count per buffer, which Reshape already relies on).
  if (isWasm) {
    const share = (name: string, same: (args: KernelArgs) => boolean) => {
      const orig = fallback(name);
      register(name, (args) => {
        const x = req(args, "x");
        if (x.dtype === "string" || !same(args)) return orig(args);
        (args.backend as WasmBackendLike).incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
      });
    };
    share("Identity", () => true);
    share("Cast", (args) => args.attrs?.dtype === req(args, "x").dtype);
  }

  if (options.fastGradients !== false) {
    replaced.push(...registerGradientKernels(backendName));
    installFastGradients();
  }

  return {
    backend: backendName,
    gemm: gemmName,
    blasPath: blas?.path,
    kernels: replaced,
  };
}

const originals = new Map<string, tf.KernelConfig>();

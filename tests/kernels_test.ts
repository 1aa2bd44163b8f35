/**
 * Every custom kernel against tfjs' reference cpu kernels: a pristine copy
 * of the cpu backend is registered as "ref" before any kernel is replaced;
 * each case runs on "ref" and on the patched backend and must agree within
 * max |diff| ≤ 1e-4. Shapes cover the study's own layers, odd sizes,
 * strides, paddings and dilations, plus seeded random conv geometries.
 */
import { NEEDS_PERMISSIONS, PERMITTED } from "./helpers.ts";
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import {
  FusedBatchNormalization,
  registerTrainingKernels,
} from "../lib/kernels/mod.ts";
import { fusedAdamUpdate } from "../lib/kernels/adam.ts";
import {
  batchNormGrad,
  reluGrad,
  squareGrad,
} from "../lib/kernels/grad_math.ts";
import {
  batchNormCoefficients,
  batchNormLastAxis,
  sumRows,
} from "../lib/kernels/reduce.ts";
import {
  affineLastAxis,
  finishGradCoefficients,
  gradApply,
  gradCoefficients,
  gradSums,
  trainMoments,
} from "../lib/kernels/batch_norm_train.ts";
import { simdLoops } from "../lib/kernels/simd.ts";
import { maxPoolGrad2x2 } from "../lib/kernels/conv.ts";
import { buildModel, type ModelName } from "../lib/train/models.ts";
import { RECIPES } from "../lib/train/recipes.ts";
import { makeOptimizer, trainStep } from "../lib/train/replica.ts";
import { keyedUniform } from "../lib/train/rng.ts";

const TOLERANCE = 1e-4;

const cpu = tf.findBackend("cpu");
if (!cpu) throw new Error("no cpu backend");
const CpuBackend = cpu.constructor as new () => tf.KernelBackend;
tf.registerBackend("ref", () => new CpuBackend());
tf.copyRegisteredKernels("cpu", "ref");

let seed = 12345;
function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = seed / 2 ** 31 - 1;
  }
  return a;
}

type Case = {
  name: string;
  inputs: { shape: number[]; data: Float32Array }[];
  run: (ts: tf.Tensor[]) => tf.Tensor;
};

async function evalOn(backend: string, c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const ts = c.inputs.map((i) => tf.tensor(i.data, i.shape));
    return c.run(ts).dataSync() as Float32Array;
  });
}

const cases: Case[] = [];
const inp = (...shape: number[]) => ({
  shape,
  data: rand(shape.reduce((a, b) => a * b, 1)),
});
type PadT = "valid" | "same" | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];
/** Both conv backprop kernels for one geometry. */
function pushBackpropCases(
  tag: string,
  xs: number[],
  fs: number[],
  strides: [number, number],
  pad: PadT,
  outShape: number[],
): void {
  cases.push({
    name: `Conv2DBackpropFilter ${tag}`,
    inputs: [inp(...xs), inp(...outShape)],
    run: ([x, dy]) =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides,
        pad,
        dataFormat: "NHWC",
        filterShape: fs,
      }) as tf.Tensor,
  });
  cases.push({
    name: `Conv2DBackpropInput ${tag}`,
    inputs: [inp(...outShape), inp(...fs)],
    run: ([dy, filter]) =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
        inputShape: xs,
        strides,
        pad,
        dataFormat: "NHWC",
      }) as tf.Tensor,
  });
}

const convCases: [
  number[],
  number[],
  [number, number],
  PadT,
  [number, number],
][] = [
  [[2, 9, 8, 3], [3, 3, 3, 5], [1, 1], "valid", [1, 1]],
  [[2, 9, 8, 3], [3, 3, 3, 5], [2, 2], "same", [1, 1]],
  [[3, 10, 11, 4], [3, 2, 4, 6], [2, 1], "valid", [1, 1]],
  [[1, 12, 12, 2], [3, 3, 2, 4], [1, 1], "same", [2, 2]],
  [[2, 8, 7, 5], [2, 3, 5, 3], [1, 2], [[0, 0], [1, 2], [2, 1], [0, 0]], [
    1,
    1,
  ]],
  [[4, 28, 28, 1], [3, 3, 1, 128], [1, 1], "valid", [1, 1]],
  [[3, 13, 13, 128], [3, 3, 128, 64], [1, 1], "valid", [1, 1]],
  [[2, 5, 5, 40], [1, 1, 40, 7], [1, 1], "same", [1, 1]],
];
for (const [xs, fs, strides, pad, dil] of convCases) {
  const tag = `x${xs} f${fs} s${strides} p${JSON.stringify(pad)} d${dil}`;
  cases.push({
    name: `Conv2D ${tag}`,
    inputs: [inp(...xs), inp(...fs)],
    run: ([x, f]) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad, "NHWC", dil),
  });
  cases.push({
    name: `FusedConv2D relu+bias ${tag}`,
    inputs: [inp(...xs), inp(...fs), inp(fs[3])],
    run: ([x, f, b]) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides,
        pad,
        dilations: dil,
        bias: b,
        activation: "relu",
      }),
  });
  if (dil[0] !== 1 || dil[1] !== 1) continue; // tfjs backprop kernels take no dilations
  const info = tf.backend_util.computeConv2DInfo(
    xs as [number, number, number, number],
    fs as [number, number, number, number],
    strides,
    1,
    pad,
  );
  pushBackpropCases(tag, xs, fs, strides, pad, info.outShape);
}
const poolCases: [
  number[],
  [number, number],
  [number, number],
  "valid" | "same",
][] = [
  [[2, 26, 26, 8], [2, 2], [2, 2], "valid"],
  [[2, 11, 11, 6], [2, 2], [2, 2], "valid"],
  [[1, 9, 10, 3], [3, 3], [2, 2], "same"],
  [[2, 7, 7, 4], [3, 2], [1, 1], "valid"],
];
for (const [xs, size, strides, pad] of poolCases) {
  cases.push({
    name: `MaxPoolGrad x${xs} k${size} s${strides} ${pad}`,
    inputs: [inp(...xs)],
    run: ([x]) =>
      tf.grad((t: tf.Tensor) =>
        tf.maxPool(t as tf.Tensor4D, size, strides, pad).mul(
          tf.range(
            1,
            1 +
              tf.util.sizeFromShape(
                tf.backend_util.computePool2DInfo(
                  xs as [number, number, number, number],
                  size,
                  strides,
                  1,
                  pad,
                ).outShape,
              ),
          ).reshape(
            tf.backend_util.computePool2DInfo(
              xs as [number, number, number, number],
              size,
              strides,
              1,
              pad,
            ).outShape,
          ).div(100),
        ).sum()
      )(x),
  });
}
const mmCases: [number[], number[], boolean, boolean][] = [
  [[128, 784], [784, 256], false, false],
  [[128, 784], [128, 256], true, false],
  [[128, 128], [256, 128], false, true],
  [[7, 5], [9, 7], true, true],
  [[3, 4, 6], [3, 6, 5], false, false],
  [[3, 6, 4], [1, 6, 5], true, false],
  [[1, 4, 6], [3, 5, 6], false, true],
];
for (const [as, bs, tA, tB] of mmCases) {
  cases.push({
    name: `BatchMatMul a${as} b${bs} tA${tA} tB${tB}`,
    inputs: [inp(...as), inp(...bs)],
    run: ([a, b]) => tf.matMul(a, b, tA, tB),
  });
  if (as.length === 2) {
    const n = tB ? bs[0] : bs[1];
    cases.push({
      name: `_FusedMatMul relu+bias a${as} b${bs} tA${tA} tB${tB}`,
      inputs: [inp(...as), inp(...bs), inp(n)],
      run: ([a, b, bias]) =>
        tf.fused.matMul({
          a: a as tf.Tensor2D,
          b: b as tf.Tensor2D,
          transposeA: tA,
          transposeB: tB,
          bias,
          activation: "relu",
        }),
    });
  }
}

for (
  const [xs, axes, keep] of [
    [[32, 26, 26, 16], [0, 1, 2], false],
    [[4, 5, 6, 7], [0, 1, 2], true],
    [[4, 5, 6], [1, 0], false],
    [[10, 3], [0], false],
    [[4, 5, 6, 7], [0, 2], false],
    [[4, 5, 6, 7], [-1], false],
  ] as [number[], number[], boolean][]
) {
  cases.push({
    name: `Sum x${xs} axes${axes} keep${keep}`,
    inputs: [inp(...xs)],
    run: ([x]) => tf.sum(x, axes, keep),
  });
  cases.push({
    name: `Mean x${xs} axes${axes} keep${keep}`,
    inputs: [inp(...xs)],
    run: ([x]) => tf.mean(x, axes, keep),
  });
}
for (
  const [xs, reps] of [
    [[1, 1, 1, 16], [4, 6, 5, 1]],
    [[1, 3], [7, 1]],
    [[2, 3], [2, 2]],
    [[1, 1, 5], [2, 3, 2]],
  ] as [number[], number[]][]
) {
  cases.push({
    name: `Tile x${xs} reps${reps}`,
    inputs: [inp(...xs)],
    run: ([x]) => tf.tile(x, reps),
  });
}

for (const xs of [[4, 6, 5, 16], [3, 7], [2, 3, 3, 1]]) {
  const C = xs[xs.length - 1];
  cases.push({
    name: `FusedBatchNorm x${xs}`,
    inputs: [
      inp(...xs),
      inp(C),
      { shape: [C], data: rand(C).map((v) => v * v + 0.1) },
      inp(C),
      inp(C),
    ],
    run: ([x, m, v, o, s]) => tf.batchNorm(x, m, v, o, s, 1e-3),
  });
}

// Gradients replaced by lib/kernels/gradients.ts, through the public ops
// Keras' BatchNormalization uses (moments, then batchNorm).
const flatConcat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => t.flatten()));
for (const xs of [[4, 6, 5, 16], [2, 26, 26, 8], [12, 7]]) {
  const C = xs[xs.length - 1];
  const axes = [...Array(xs.length - 1).keys()];
  cases.push({
    name: `BatchNorm-in-training gradient x${xs}`,
    inputs: [inp(...xs), inp(C), inp(C), inp(...xs)],
    run: ([x, gamma, beta, w]) =>
      flatConcat(
        tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, axes);
          return tf.batchNorm(a, mean, variance, b, g, 1e-3).mul(w).sum();
        })([x, gamma, beta]),
      ),
  });
}
// The CNN's BatchNormalization layer in training (lib/kernels/
// batch_norm_layer.ts): fused kernels on the patched backends, the stock
// layer on "ref". Output, gradients w.r.t. x, gamma and beta, and the
// moving mean and variance after two training calls. x is shifted off zero
// to exercise the statistics' numerics.
for (
  const xs of [[16, 26, 26, 128], [16, 11, 11, 64], [3, 5, 5, 6], [12, 7]]
) {
  const C = xs[xs.length - 1];
  cases.push({
    name: `FusedBatchNormalization training x${xs}`,
    inputs: [inp(...xs), inp(C), inp(C), inp(...xs)],
    run: ([x, gamma, beta, w]) => {
      const layer = new FusedBatchNormalization({});
      layer.build(x.shape);
      layer.setWeights([gamma.add(1), beta, tf.zeros([C]), tf.ones([C])]);
      const input = tf.variable(x.mul(2).add(3));
      const [g, b] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const y = layer.apply(input, { training: true }) as tf.Tensor;
      const { grads } = tf.variableGrads(
        () =>
          (layer.apply(input, { training: true }) as tf.Tensor).mul(w).sum(),
        [input, g, b],
      );
      const out = flatConcat([
        y,
        grads[input.name],
        grads[g.name],
        grads[b.name],
        ...layer.getWeights().slice(2),
      ]);
      input.dispose();
      layer.weights.forEach((v) => v.dispose());
      return out;
    },
  });
}
cases.push({
  // Stock tfjs backprop needs both offset and scale present.
  name: "FusedBatchNorm gradient with independent mean/variance",
  inputs: [inp(3, 4, 5, 6), inp(6), inp(6), inp(6), inp(6)],
  run: ([x, m, v, o, g]) =>
    flatConcat(
      tf.grads((
        a: tf.Tensor,
        mm: tf.Tensor,
        vv: tf.Tensor,
        oo: tf.Tensor,
        gg: tf.Tensor,
      ) => tf.batchNorm(a, mm, vv.square().add(0.5), oo, gg).mul(a).sum())([
        x,
        m,
        v,
        o,
        g,
      ]),
    ),
});
for (
  const [xs, axes, keep] of [
    [[4, 5, 6, 7], [0, 1, 2], false],
    [[4, 5, 6, 7], [0, 1], true],
    [[4, 5, 6, 7], [1, 2], false],
    [[9, 3], undefined, false],
  ] as [number[], number[] | undefined, boolean][]
) {
  cases.push({
    name: `Mean gradient x${xs} axes${axes} keep${keep}`,
    inputs: [inp(...xs)],
    run: ([x]) =>
      tf.grad((a: tf.Tensor) => tf.mean(a.mul(a), axes, keep).sin().sum())(x),
  });
}
// Exact zeros and both signs, so step(x) at 0 and ties matter.
const quantized = (...shape: number[]) => {
  const i = inp(...shape);
  return { shape, data: i.data.map((v) => Math.round(v * 2) / 2) };
};
for (const xs of [[2, 6, 5, 7], [4, 26, 26, 16]]) {
  cases.push({
    name: `Square and Relu gradients x${xs}`,
    inputs: [quantized(...xs), inp(...xs)],
    run: ([x, w]) =>
      tf.grad((a: tf.Tensor) =>
        tf.relu(a).mul(w).sum().add(a.square().mul(tf.reverse(w)).sum())
      )(x),
  });
}
for (const xs of [[2, 8, 8, 16], [3, 11, 11, 5], [2, 26, 26, 8]]) {
  cases.push({
    name: `MaxPoolGrad 2x2/2 with ties x${xs}`,
    inputs: [quantized(...xs), inp(...xs)],
    run: ([x, w]) =>
      tf.grad((a: tf.Tensor) =>
        tf.maxPool(tf.relu(a) as tf.Tensor4D, 2, 2, "valid").mul(
          w.slice(
            [0, 0, 0, 0],
            [xs[0], xs[1] >> 1, xs[2] >> 1, xs[3]],
          ),
        ).sum()
      )(x),
  });
}

// Seeded random conv geometries beyond the fixed list.
const geometry = keyedUniform(99, "shuffle", 0);
const pick = (lo: number, hi: number) =>
  lo + Math.floor(geometry() * (hi - lo + 1));
for (let i = 0; i < 6; i++) {
  const k = [pick(1, 3), pick(1, 3)];
  const xs = [pick(1, 3), pick(k[0] + 2, 12), pick(k[1] + 2, 12), pick(1, 6)];
  const fs = [k[0], k[1], xs[3], pick(1, 6)];
  const strides: [number, number] = [pick(1, 2), pick(1, 2)];
  const pad = geometry() < 0.5 ? "valid" : "same";
  const info = tf.backend_util.computeConv2DInfo(
    xs as [number, number, number, number],
    fs as [number, number, number, number],
    strides,
    1,
    pad,
  );
  const tag = `random x${xs} f${fs} s${strides} ${pad}`;
  cases.push({
    name: `Conv2D ${tag}`,
    inputs: [inp(...xs), inp(...fs)],
    run: ([x, f]) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad),
  });
  pushBackpropCases(tag, xs, fs, strides, pad, info.outShape);
}

function maxAbsDiff(want: Float32Array, got: Float32Array): number {
  if (want.length !== got.length) return Infinity;
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(want[i] - got[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

for (const backend of ["wasm", "cpu"] as const) {
  for (const blas of [true, false]) {
    Deno.test(
      `custom ${backend} kernels match the reference cpu kernels (${
        blas ? "OpenBLAS if present" : "no BLAS"
      })`,
      { ignore: backend === "wasm" && !PERMITTED },
      async (t) => {
        await tf.setBackend(backend);
        const report = registerTrainingKernels(backend, { blas });
        assert.ok(report.kernels.includes("Conv2DBackpropFilter"));
        for (const c of cases) {
          await t.step(c.name, async () => {
            const want = await evalOn("ref", c);
            const got = await evalOn(backend, c);
            const diff = maxAbsDiff(want, got);
            assert.ok(
              diff <= TOLERANCE,
              `${c.name}: max |diff| ${diff} > ${TOLERANCE} (gemm ${report.gemm})`,
            );
          });
        }
      },
    );
  }
}

Deno.test(
  "the fused training BatchNorm's statistics are as accurate as tf.moments, far from zero too",
  NEEDS_PERMISSIONS,
  async () => {
    await tf.setBackend("wasm");
    registerTrainingKernels("wasm");
    const [N, C] = [4001, 8];
    // Mean 1000, spread ±1; the first row (the shift) 20 spreads away.
    const x = rand(N * C).map((v, i) => 1000 + (i < C ? 20 : v));
    const exact = (c: number) => {
      let s = 0, q = 0;
      for (let r = 0; r < N; r++) s += x[r * C + c];
      const m = s / N;
      for (let r = 0; r < N; r++) q += (x[r * C + c] - m) ** 2;
      return [m, q / N];
    };
    const moments = async (backend: string, fused: boolean) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const t = tf.tensor(x, [N, C]);
        const [m, v] = fused
          ? (tf.engine().runKernel("FastBatchNormTrain", {
            x: t,
            scale: tf.ones([C]),
            offset: tf.zeros([C]),
          }, { varianceEpsilon: 1e-3 }) as tf.Tensor[]).slice(1)
          : Object.values(tf.moments(t, [0]));
        return [m.dataSync(), v.dataSync()];
      });
    };
    const err = ([m, v]: tf.TypedArray[]) =>
      Math.max(
        ...Array.from({ length: C }, (_, c) => {
          const [em, ev] = exact(c);
          return Math.max(Math.abs(m[c] - em) / 1000, Math.abs(v[c] - ev) / ev);
        }),
      );
    const stock = err(await moments("ref", false));
    const fused = err(await moments("wasm", true));
    assert.ok(
      fused <= Math.max(2 * stock, 1e-7),
      `fused ${fused}, tf.moments ${stock}`,
    );
  },
);

Deno.test(
  "shared Identity/Cast buffers outlive their source on wasm",
  NEEDS_PERMISSIONS,
  async () => {
    await tf.setBackend("wasm");
    registerTrainingKernels("wasm");
    const x = tf.tensor([1, 2, 3, 4]);
    const copy = x.clone();
    const cast = tf.cast(x, "float32");
    x.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(cast.dataSync()), [1, 2, 3, 4]);
    copy.dispose();
    assert.deepEqual(Array.from(cast.dataSync()), [1, 2, 3, 4]);
    cast.dispose();
  },
);

Deno.test(
  "fast Relu gradient propagates NaN and Inf like the stock one",
  NEEDS_PERMISSIONS,
  async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor([NaN, -1, 0, 2, -0, 3, 1]);
        const w = tf.tensor([1, Infinity, NaN, 4, -5, NaN, -Infinity]);
        return Array.from(
          tf.grad((a: tf.Tensor) => tf.relu(a).mul(w).sum())(x).dataSync(),
        );
      });
    };
    await tf.setBackend("wasm");
    registerTrainingKernels("wasm");
    assert.deepEqual(await run("wasm"), await run("ref"));
  },
);

for (
  const [backend, forceJs] of [
    ["wasm", false], // the wasm SIMD loop (and the JavaScript tail)
    ["wasm", true],
    ["cpu", false],
  ] as const
) {
  Deno.test(
    `fused Adam update is bit-identical to tfjs' Adam on ${backend}${
      forceJs ? " (JavaScript loop)" : ""
    }`,
    { ignore: backend === "wasm" && !PERMITTED },
    async () => {
      await tf.setBackend(backend);
      registerTrainingKernels(backend);
      const shapes = [[3, 3, 1, 8], [8], [50, 7], [7]];
      const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
      const total = sizes.reduce((a, b) => a + b, 0);
      const init = sizes.map((size, i) => rand(size).map((x) => x * (i + 1)));
      const make = () =>
        shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
      const stockVars = make();
      const fusedVars = make();
      const stock = tf.train.adam(0.003, 0.9, 0.999, 1e-7);
      const fused = tf.train.adam(0.003, 0.9, 0.999, 1e-7);
      const apply = (
        opt: tf.Optimizer,
        vars: tf.Variable[],
        g: Float32Array,
      ) => {
        const named: tf.NamedTensorMap = {};
        let offset = 0;
        vars.forEach((v) => {
          named[v.name] = tf.tensor(
            g.subarray(offset, offset + v.size),
            v.shape,
          );
          offset += v.size;
        });
        opt.applyGradients(named);
        tf.dispose(Object.values(named));
      };
      for (let step = 0; step < 5; step++) {
        // Gradients of mixed scales, with exact zeros and a tiny value.
        const g = rand(total).map((x, i) =>
          i % 7 === 0 ? 0 : x * 10 ** (i % 5 - 3)
        );
        g[1] = 1e-30;
        apply(stock, stockVars, g);
        // The first step has no moment slots yet: the fused path declines.
        const used = fusedAdamUpdate(fused, fusedVars, g, forceJs);
        assert.equal(used, step > 0);
        if (!used) apply(fused, fusedVars, g);
      }
      const stockWeights = await stock.getWeights();
      const fusedWeights = await fused.getWeights();
      assert.deepEqual(
        fusedWeights.map((w) => Array.from(w.tensor.dataSync())),
        stockWeights.map((w) => Array.from(w.tensor.dataSync())),
      );
      stockVars.forEach((v, i) =>
        assert.deepEqual(
          Array.from(fusedVars[i].dataSync()),
          Array.from(v.dataSync()),
        )
      );
      for (const name of ["accBeta1", "accBeta2"] as const) {
        const read = (o: tf.Optimizer) =>
          (o as unknown as Record<typeof name, tf.Variable>)[name]
            .dataSync()[0];
        assert.equal(read(fused), read(stock));
      }
      // Other optimizers are left to their own update.
      assert.equal(
        fusedAdamUpdate(tf.train.rmsprop(0.01), fusedVars, rand(total)),
        false,
      );
      tf.dispose([...stockVars, ...fusedVars]);
      stock.dispose();
      fused.dispose();
    },
  );
}

Deno.test(
  "wasm SIMD loops equal their JavaScript twins bit for bit",
  NEEDS_PERMISSIONS,
  async () => {
    await tf.setBackend("wasm");
    registerTrainingKernels("wasm");
    assert.ok(simdLoops(tf.backend()), "the SIMD module did not instantiate");
    const same = (got: tf.Tensor, want: Float32Array, what: string) => {
      const g = got.dataSync();
      got.dispose();
      for (let i = 0; i < want.length; i++) {
        if (!Object.is(g[i], want[i])) {
          assert.fail(`${what}: [${i}] ${g[i]} !== ${want[i]}`);
        }
      }
    };
    // Sizes with and without a < 4-element tail; channels even (SIMD batch
    // norm) and odd (JavaScript).
    for (const shape of [[3, 5, 6], [2, 7, 9, 128], [5, 11, 11, 64], [7, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const C = shape[shape.length - 1];
      const x = rand(n), dy = rand(n).map((v) => v * 100);
      const [mean, offset] = [rand(C), rand(C)];
      const [variance, scale] = [rand(C).map(Math.abs), rand(C)];
      const run = (name: string) =>
        tf.engine().runKernel(name, {
          x: tf.tensor(x, shape),
          dy: tf.tensor(dy, shape),
        }) as tf.Tensor;
      const want = new Float32Array(n);
      reluGrad(x, dy, want);
      same(tf.tidy(() => run("FastReluGrad")), want, `relu grad ${shape}`);
      squareGrad(x, dy, want);
      same(tf.tidy(() => run("FastSquareGrad")), want, `square grad ${shape}`);
      batchNormLastAxis(x, C, mean, variance, offset, scale, 1e-3, want);
      same(
        tf.tidy(() =>
          tf.batchNorm(
            tf.tensor(x, shape),
            tf.tensor(mean),
            tf.tensor(variance),
            tf.tensor(offset),
            tf.tensor(scale),
            1e-3,
          )
        ),
        want,
        `batch norm ${shape}`,
      );
      const grads = {
        dx: new Float32Array(n),
        dMean: new Float32Array(C),
        dVariance: new Float32Array(C),
        dScale: new Float32Array(C),
        dOffset: new Float32Array(C),
      };
      batchNormGrad(x, dy, mean, variance, scale, 1e-3, C, grads);
      const got = tf.engine().runKernel("FastFusedBatchNormGrad", {
        x: tf.tensor(x, shape),
        dy: tf.tensor(dy, shape),
        mean: tf.tensor(mean),
        variance: tf.tensor(variance),
        scale: tf.tensor(scale),
      }, { varianceEpsilon: 1e-3 }) as tf.Tensor[];
      Object.values(grads).forEach((want, i) =>
        same(got[i], want, `batch norm grad ${i} ${shape}`)
      );
      // Training batch norm: forward (moments, then y) and backward.
      const stats = [new Float32Array(C), new Float32Array(C)] as const;
      trainMoments(x, C, stats[0], stats[1]);
      const ab = batchNormCoefficients(C, ...stats, offset, scale, 1e-3);
      affineLastAxis(x, ab.a, ab.b, want);
      const train = tf.engine().runKernel("FastBatchNormTrain", {
        x: tf.tensor(x, shape),
        scale: tf.tensor(scale),
        offset: tf.tensor(offset),
      }, { varianceEpsilon: 1e-3 }) as tf.Tensor[];
      same(train[0], want, `train batch norm ${shape}`);
      same(train[1], stats[0], `train batch norm mean ${shape}`);
      same(train[2], stats[1], `train batch norm variance ${shape}`);
      const [gm, gv] = [rand(C), rand(C)];
      const co = gradCoefficients(stats[0], C);
      const [s1, s2] = [new Float64Array(C), new Float64Array(C)];
      gradSums(x, dy, co.m, C, s1, s2);
      const trainGrads = {
        dx: new Float32Array(n),
        dScale: new Float32Array(C),
        dOffset: new Float32Array(C),
      };
      finishGradCoefficients(co, stats[1], scale, 1e-3, n / C, s1, s2, {
        dMean: gm,
        dVariance: gv,
      }, trainGrads);
      gradApply(x, dy, co, trainGrads.dx);
      const gotTrain = tf.engine().runKernel("FastBatchNormTrainGrad", {
        x: tf.tensor(x, shape),
        dy: tf.tensor(dy, shape),
        mean: tf.tensor(stats[0]),
        variance: tf.tensor(stats[1]),
        scale: tf.tensor(scale),
        dMean: tf.tensor(gm),
        dVariance: tf.tensor(gv),
      }, { varianceEpsilon: 1e-3 }) as tf.Tensor[];
      Object.values(trainGrads).forEach((want, i) =>
        same(gotTrain[i], want, `train batch norm grad ${i} ${shape}`)
      );
      const rows = n / C, sums = new Float32Array(C);
      const axes = shape.slice(0, -1).map((_, i) => i);
      sumRows(x, rows, C, sums);
      same(
        tf.tidy(() => tf.sum(tf.tensor(x, shape), axes)),
        sums,
        `sum ${shape}`,
      );
      sumRows(x, rows, C, sums, 1 / rows);
      same(
        tf.tidy(() => tf.mean(tf.tensor(x, shape), axes)),
        sums,
        `mean ${shape}`,
      );
    }
    // MaxPoolGrad 2x2/2: ties (few distinct values, ±0) and odd sizes.
    for (const shape of [[2, 6, 6, 8], [3, 7, 5, 4], [2, 26, 26, 128]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = rand(n).map((v) => Math.round(v * 3) / 3 || (v < 0 ? -0 : 0));
      const [N, H, W, C] = shape;
      const [OH, OW] = [Math.floor(H / 2), Math.floor(W / 2)];
      const dy = rand(N * OH * OW * C);
      const g = {
        batchSize: N,
        inHeight: H,
        inWidth: W,
        channels: C,
        outHeight: OH,
        outWidth: OW,
        filterHeight: 2,
        filterWidth: 2,
        strideHeight: 2,
        strideWidth: 2,
        dilationHeight: 1,
        dilationWidth: 1,
        padTop: 0,
        padLeft: 0,
      };
      const [dx, want] = tf.tidy(() => {
        const input = tf.tensor4d(x, [N, H, W, C]);
        const output = tf.maxPool(input, 2, 2, "valid");
        const expected = new Float32Array(n);
        const y = output.dataSync() as Float32Array;
        assert.ok(maxPoolGrad2x2(x, y, dy, expected, g));
        const got = tf.engine().runKernel("MaxPoolGrad", {
          dy: tf.tensor(dy, output.shape),
          input,
          output,
        }, { filterSize: 2, strides: 2, pad: "valid" }) as tf.Tensor;
        return [got, tf.tensor(expected, shape)];
      });
      same(dx, want.dataSync() as Float32Array, `max pool grad ${shape}`);
      want.dispose();
    }
  },
);

/** Losses of a few training steps of `model` on `backend`, from one init. */
async function stepLosses(
  backend: string,
  model: ModelName,
  pixels: Float32Array,
  steps: number,
): Promise<number[]> {
  await tf.setBackend(backend);
  const network = buildModel(model, 11);
  const optimizer = makeOptimizer(RECIPES[model]);
  const variables = network.trainableWeights.map((w) =>
    w.read() as tf.Variable
  );
  const batchSize = pixels.length / 784;
  const xs = tf.tensor4d(pixels, [batchSize, 28, 28, 1]);
  const ys = tf.oneHot(
    tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % 10), "int32"),
    10,
  ).toFloat() as tf.Tensor2D;
  const losses: number[] = [];
  const originalRandom = Math.random;
  try {
    for (let s = 0; s < steps; s++) {
      Math.random = keyedUniform(1, "dropout", 0, s); // same masks on both backends
      losses.push(trainStep(network, optimizer, variables, xs, ys).loss);
    }
  } finally {
    Math.random = originalRandom;
  }
  tf.dispose([xs, ys]);
  optimizer.dispose();
  network.dispose();
  return losses;
}

for (const model of ["dense", "cnn"] as const) {
  Deno.test(
    `a short ${model} training run gives the reference kernels' losses`,
    NEEDS_PERMISSIONS,
    async () => {
      await tf.setBackend("wasm");
      registerTrainingKernels("wasm");
      // Small batches keep the reference cpu conv backprops affordable.
      const batch = model === "cnn" ? 2 : 32;
      const pixels = rand(batch * 784).map((v) => Math.abs(v));
      const reference = await stepLosses("ref", model, pixels, 3);
      const fast = await stepLosses("wasm", model, pixels, 3);
      reference.forEach((loss, s) => {
        assert.ok(
          Math.abs(loss - fast[s]) <= 1e-3 * Math.max(1, loss),
          `step ${s}: ref ${loss}, fast ${fast[s]}`,
        );
      });
      // And training does something: the loss moves.
      assert.notEqual(reference[0], reference.at(-1));
    },
  );
}

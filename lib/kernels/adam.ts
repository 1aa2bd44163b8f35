/**
 * Adam's update fused into one pass per variable, bit-identical to tfjs'
 * `AdamOptimizer.applyGradients`.
 *
 * Why: tfjs' Adam runs 14 elementwise kernels per variable (172 kernel
 * launches, each allocating an output, for the CNN's 10 variables) —
 * ~4.3 ms per step, paid by every data-parallel replica on the critical
 * path. This pass reads the flat gradient straight from the averaged
 * buffer (no gradient tensors) and writes new value, first and second
 * moment tensors: ~0.3 ms on wasm with the f32x4 loop of simd.ts (the
 * whole `applyGradients` went 4.2 -> 1.0 ms), ~3.4 ms with the JavaScript
 * loop (cpu backend, or no SIMD), whose `Math.fround` chain dominates.
 *
 * Exactness: every tfjs step is one float32 operation (the wasm and cpu
 * backends compute mul/add/div/sqrt in IEEE float32, without FMA), so the
 * SIMD loop does the same float32 operations in the same order, and the
 * JavaScript loop does each as a float64 operation rounded with `Math.fround` —
 * exact, since float64 holds every product of two float32 values exactly
 * and double rounding is innocuous for +, −, ×, ÷ and √ at these widths.
 * The scalars are converted to float32 exactly as tfjs converts them.
 * New tensors are assigned (never written in place), so tensors that share
 * a variable's old buffer (snapshots, shared Identity outputs) keep it.
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { type FlatIO, plainIO } from "./io.ts";
import { type SimdLoops, simdLoops } from "./simd.ts";

/** The slots of tfjs' AdamOptimizer that the fused update reads (private in its typings). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

const fr = Math.fround;

/**
 * One element-range of the fused update (exported for tests). `c` holds
 * the float32 scalars: β₁, 1−β₁, β₂, 1−β₂, 1−β₁ᵗ, 1−β₂ᵗ, ε, −lr.
 */
export function adamPass(
  value: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  gradOffset: number,
  c: Float64Array,
  outValue: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
): void {
  const b1 = c[0], c1 = c[1], b2 = c[2], c2 = c[3];
  const d1 = c[4], d2 = c[5], eps = c[6], nlr = c[7];
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const g = grad[gradOffset + i];
    // add(mul(m, β₁), mul(g, 1−β₁))
    const m1 = fr(fr(m[i] * b1) + fr(g * c1));
    // add(mul(v, β₂), mul(square(g), 1−β₂))
    const v1 = fr(fr(v[i] * b2) + fr(fr(g * g) * c2));
    outM[i] = m1;
    outV[i] = v1;
    // add(mul(div(m̂, add(sqrt(v̂), ε)), −lr), value)
    const mh = fr(m1 / d1);
    const vh = fr(v1 / d2);
    const den = fr(fr(Math.sqrt(vh)) + eps);
    outValue[i] = fr(fr(fr(mh / den) * nlr) + value[i]);
  }
}

/**
 * Apply `gradients` (all of `variables`' gradients, flattened in order) with
 * `optimizer` exactly as `optimizer.applyGradients` would, in one pass per
 * variable. Returns false (and does nothing) when the fused path does not
 * apply — not an Adam optimizer, its moment slots not created yet (the
 * first step), a backend other than wasm/cpu, or non-float32 variables —
 * and the caller must use the stock update. `forceJs` skips the wasm SIMD
 * loop (for tests).
 */
export function fusedAdamUpdate(
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  gradients: Float32Array,
  forceJs = false,
): boolean {
  const adam = fusableAdam(optimizer, variables);
  if (!adam) return false;
  const c = adamScalars(adam);
  const pass = startPass(gradients, forceJs);
  let offset = 0;
  variables.forEach((variable, i) => {
    const m = adam.accumulatedFirstMoment[i]!.variable;
    const v = adam.accumulatedSecondMoment[i]!.variable;
    updateVariable(pass, variable, m, v, offset, c);
    offset += variable.size;
  });
  pass.grad?.dispose();
  advanceStep(adam);
  return true;
}

/**
 * `optimizer`'s internals when the fused update applies to `variables`:
 * an Adam optimizer on wasm or cpu whose moment slots exist (not the first
 * step) and float32 variables; else null.
 */
function fusableAdam(
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
): AdamInternals | null {
  // Not `instanceof`: tfjs' Optimizer defines Symbol.hasInstance by duck
  // typing, so every optimizer is an "instance" of AdamOptimizer.
  if (optimizer.getClassName() !== "Adam") return null;
  const backendName = tf.getBackend();
  if (backendName !== "wasm" && backendName !== "cpu") return null;
  const adam = optimizer as unknown as AdamInternals;
  const firsts = adam.accumulatedFirstMoment;
  const seconds = adam.accumulatedSecondMoment;
  if (!Array.isArray(firsts) || !Array.isArray(seconds)) return null;
  for (let i = 0; i < variables.length; i++) {
    if (!firsts[i] || !seconds[i] || variables[i].dtype !== "float32") {
      return null;
    }
  }
  return adam;
}

/**
 * The float32 scalars of {@link adamPass} for this step, converted as
 * tfjs converts them: scalar(β) for mul(m, β); scalar(1 − β) computed in
 * float64 first; sub(1, accβ) in float32; add(…, ε) and mul(…, −lr) as
 * float32 scalars.
 */
function adamScalars(adam: AdamInternals): Float64Array {
  const accBeta1 = adam.accBeta1.dataSync()[0];
  const accBeta2 = adam.accBeta2.dataSync()[0];
  return new Float64Array([
    fr(adam.beta1),
    fr(1 - adam.beta1),
    fr(adam.beta2),
    fr(1 - adam.beta2),
    fr(1 - accBeta1),
    fr(1 - accBeta2),
    fr(adam.epsilon),
    fr(-adam.learningRate),
  ]);
}

/** What every variable's update of one step shares. */
interface AdamPass {
  io: FlatIO;
  /** The wasm SIMD loop, when it runs. */
  simd: SimdLoops["adam"] | undefined;
  /** All gradients, flat (read by the JavaScript loop). */
  gradients: Float32Array;
  /** The same gradients on the wasm heap, for the SIMD loop. */
  grad: tf.Tensor | undefined;
}

/**
 * Sets up one step on the active backend. On wasm the gradients go onto
 * the heap once, for the SIMD loop.
 */
function startPass(gradients: Float32Array, forceJs: boolean): AdamPass {
  const isWasm = tf.getBackend() === "wasm";
  const backend = tf.backend();
  const io = plainIO(isWasm, backend);
  const simd = isWasm && !forceJs ? simdLoops(backend)?.adam : undefined;
  const gradInfo = simd ? io.alloc([gradients.length]) : undefined;
  const grad = gradInfo
    ? tf.engine().makeTensorFromTensorInfo(gradInfo)
    : undefined;
  if (gradInfo) io.view(gradInfo).set(gradients);
  return { io, simd, gradients, grad };
}

/**
 * Updates one variable and its moments `m`, `v` from the gradients at
 * `offset`: whole 4-lane groups in wasm SIMD, the rest (all of it without
 * SIMD) in JavaScript; then assigns the three new tensors.
 */
function updateVariable(
  pass: AdamPass,
  variable: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  offset: number,
  c: Float64Array,
): void {
  const { io, simd, grad } = pass;
  // Allocate all three outputs before taking any view: an allocation may
  // grow the wasm heap and detach earlier views.
  const outs = [0, 1, 2].map(() => io.alloc(variable.shape));
  const [outValue, outM, outV] = outs.map((t) => io.view(t));
  const ins = [io.view(variable), io.view(m), io.view(v)];
  let done = 0;
  if (simd && grad) {
    done = variable.size & ~3;
    const g = io.view(grad).byteOffset + offset * 4;
    simd(
      ...ins.map((a) => a.byteOffset),
      g,
      ...[outValue, outM, outV].map((a) => a.byteOffset),
      done * 4,
      ...c,
    );
  }
  if (done < variable.size) {
    adamPass(
      ins[0].subarray(done),
      ins[1].subarray(done),
      ins[2].subarray(done),
      pass.gradients,
      offset + done,
      c,
      outValue.subarray(done),
      outM.subarray(done),
      outV.subarray(done),
    );
  }
  const engine = tf.engine();
  const [newValue, newM, newV] = outs.map((t) =>
    engine.makeTensorFromTensorInfo(t)
  );
  m.assign(newM);
  v.assign(newV);
  variable.assign(newValue);
  tf.dispose([newValue, newM, newV]);
}

/** The step's bookkeeping, as `applyGradients` does it: β powers, count. */
function advanceStep(adam: AdamInternals): void {
  tf.tidy(() => {
    adam.accBeta1.assign(tf.mul(adam.accBeta1, adam.beta1));
    adam.accBeta2.assign(tf.mul(adam.accBeta2, adam.beta2));
  });
  adam.incrementIterations();
}

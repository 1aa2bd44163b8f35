/**
 * simd.ts' instantiation rules: no wasm heap gives null (callers use
 * JavaScript); a heap the module cannot use is a reported error, not a
 * silent fallback; a usable heap gives every loop that SimdLoops names.
 */
import assert from "node:assert/strict";
import { simdLoops } from "../lib/kernels/simd.ts";

const backendWith = (memory: unknown) => ({ wasm: { asm: { memory } } });

Deno.test("simdLoops: null for a backend without a wasm heap", () => {
  assert.equal(simdLoops({}), null);
  assert.equal(simdLoops(backendWith(new ArrayBuffer(16))), null);
});

Deno.test("simdLoops: every loop on a plain wasm heap, once per heap", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const loops = simdLoops(backendWith(memory));
  assert.ok(loops);
  assert.deepEqual(Object.keys(loops).sort(), [
    "adam",
    "affine",
    "batchNorm",
    "batchNormGrad",
    "batchNormGradApply",
    "batchNormGradSums",
    "maxPoolGrad2x2",
    "moments",
    "reluGrad",
    "squareGrad",
    "sumRows",
  ]);
  assert.equal(simdLoops(backendWith(memory)), loops);
});

Deno.test("simdLoops: a heap it cannot link to throws one line", () => {
  // The module imports an unshared memory; a shared one fails to link.
  const memory = new WebAssembly.Memory({
    initial: 1,
    maximum: 1,
    shared: true,
  });
  assert.throws(
    () => simdLoops(backendWith(memory)),
    (error: Error) =>
      /^the SIMD loops do not instantiate/.test(error.message) &&
      !error.message.includes("\n"),
  );
});

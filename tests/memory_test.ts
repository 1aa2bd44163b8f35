// The wasm heap only grows, so the largest activations ever held at once
// set a process's memory for good: inference must work in small chunks.
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { initBackend } from "../lib/kernels/backend.ts";
import { predictProbabilities } from "../lib/evaluate/evaluate.ts";
import { buildCnn } from "../lib/train/models.ts";

await initBackend("wasm");

/** Bytes of the wasm backend's heap (its linear memory). */
function heapBytes(): number {
  const backend = tf.backend() as unknown as {
    wasm: { HEAPU8: Uint8Array };
  };
  return backend.wasm.HEAPU8.buffer.byteLength;
}

Deno.test("predicting 1,000 CNN images grows the wasm heap by far less than one batch-1,000 activation (346 MB)", () => {
  const cnn = buildCnn(1);
  const count = 1000;
  const images = new Uint8Array(count * 784).map((_, i) => (i * 37) % 256);
  const split = {
    images,
    labels: new Uint8Array(count),
    count,
    rows: 28,
    cols: 28,
  };
  predictProbabilities(cnn, { ...split, count: 1 }, undefined, 1); // warm-up
  const before = heapBytes();
  const probabilities = predictProbabilities(cnn, split, undefined, count);
  const grown = heapBytes() - before;
  assert.equal(probabilities.length, count * 10);
  assert.ok(
    grown < 150e6,
    `the heap grew by ${Math.round(grown / 1e6)} MB`,
  );
  cnn.dispose();
});

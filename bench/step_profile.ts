/**
 * Where one CNN training step goes (`deno run -P bench/step_profile.ts`):
 * the recipe's step (batch 32 over 2 replicas) timed whole, then its parts
 * on this thread — one 16-image shard's forward + backward with tfjs'
 * per-kernel times, the flattening of gradients, the fused Adam update —
 * and a 282k-float gradient round trip to a Worker (the message hop).
 * The rest of the step is the wait for the other replica and averaging.
 * Timings are medians; on a shared machine compare them within one run.
 *
 * @module
 */

import { tf } from "../lib/core/mod.ts";
import { defineScript, runMain } from "../lib/cli/mod.ts";
import { initBackend } from "../lib/kernels/mod.ts";
import {
  DataParallel,
  keyedUniform,
  RECIPES,
  Replica,
} from "../lib/train/mod.ts";
import { median } from "./stats.ts";

const info = defineScript({
  usage: "deno run -P bench/step_profile.ts [flags]",
  summary: "Break one CNN training step (batch 32, 2 replicas) into parts.",
  flags: {
    steps: {
      type: "int",
      min: 3,
      valueName: "N",
      description: "timed steps per figure",
      default: 30,
    },
    json: { type: "boolean", description: "print one JSON object" },
  },
});

function timeMedian(n: number, fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

async function timeMedianAsync(n: number, fn: () => Promise<unknown>) {
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

/** Round trip of `floats` float32 values to an echo Worker, transferred. */
async function messageRoundTrip(floats: number, n: number): Promise<number> {
  const source =
    `self.onmessage = (e) => self.postMessage(e.data, [e.data.buffer]);`;
  const url = URL.createObjectURL(
    new Blob([source], { type: "text/javascript" }),
  );
  const worker = new Worker(url, { type: "module" });
  const once = (data: Float32Array<ArrayBuffer>) =>
    new Promise<Float32Array<ArrayBuffer>>((resolve) => {
      worker.onmessage = (e: MessageEvent<Float32Array<ArrayBuffer>>) =>
        resolve(e.data);
      worker.postMessage(data, [data.buffer]);
    });
  try {
    let data: Float32Array<ArrayBuffer> = new Float32Array(floats);
    data = await once(data);
    return await timeMedianAsync(n, async () => {
      data = await once(data.slice()); // a step copies before it sends
    });
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

runMain(info, async (flags) => {
  const n = flags.steps;
  const backend = await initBackend("wasm");
  const recipe = { ...RECIPES.cnn, seed: 1 };
  const uniform = keyedUniform(7, "shuffle", 32);
  const pixels = Float32Array.from({ length: 32 * 784 }, uniform);
  const oneHot = new Float32Array(320);
  for (let i = 0; i < 32; i++) oneHot[i * 10 + (i % 10)] = 1;

  // The whole step, as training runs it.
  const replica = new Replica(recipe);
  const parallel = await DataParallel.start(
    replica,
    2,
    backend.name,
    recipe,
    1e-3,
  );
  const batch = { pixels, oneHot, n: 32 };
  for (let i = 0; i < 5; i++) await parallel.step(batch, 28, 28, 0, i);
  const step = await timeMedianAsync(
    n,
    () => parallel.step(batch, 28, 28, 0, 0),
  );
  parallel.close();

  // Its parts, on this thread: one shard of 16.
  const xs = tf.tensor4d(pixels.subarray(0, 16 * 784), [16, 28, 28, 1]);
  const ys = tf.tensor2d(oneHot.subarray(0, 160), [16, 10]);
  const stream = () => 0.5;
  let grads = replica.shardGradients(xs, ys, stream);
  const shard = timeMedian(
    n,
    () => grads = replica.shardGradients(xs, ys, stream),
  );
  const adam = timeMedian(
    n,
    () => replica.applyGradients(grads.gradients.map(() => 0)),
  );
  const perKernel = new Map<string, number[]>();
  let kernelCalls = 0;
  for (let i = 0; i < n; i++) {
    const profile = await tf.profile(() => {
      replica.shardGradients(xs, ys, stream);
    });
    const sums = new Map<string, number>();
    for (const k of profile.kernels) {
      const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      // Convolutions and matmuls by input shape: which layer pays.
      const key = /Conv|MatMul/.test(k.name)
        ? `${k.name} ${
          k.inputShapes.map((s) => s?.join("×") ?? "?").join(", ")
        }`
        : k.name;
      sums.set(key, (sums.get(key) ?? 0) + ms);
    }
    kernelCalls = profile.kernels.length;
    for (const [name, ms] of sums) {
      perKernel.set(name, [...(perKernel.get(name) ?? []), ms]);
    }
  }
  const kernels = [...perKernel].map(([name, runs]) => ({
    name,
    ms: median(runs),
  }))
    .sort((a, b) => b.ms - a.ms);
  const kernelMs = kernels.reduce((s, k) => s + k.ms, 0);
  const message = await messageRoundTrip(grads.gradients.length, n);
  tf.dispose([xs, ys]);
  replica.dispose();

  const result = {
    gemm: backend.gemm,
    stepMs: step,
    shardMs: shard,
    kernelMs,
    kernelCalls,
    dispatchAndTapeMs: shard - kernelMs,
    adamMs: adam,
    gradientRoundTripMs: message,
    waitAndAverageMs: step - shard - adam,
    kernels,
  };
  if (flags.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const f = (ms: number) => ms.toFixed(2).padStart(7) + " ms";
  console.log(
    `CNN step, batch 32 over 2 replicas (${backend.gemm}), medians of ${n}:`,
  );
  console.log(`  whole step                         ${f(step)}`);
  console.log(`  this thread's shard (16) fwd+bwd   ${f(shard)}`);
  console.log(`    in ${kernelCalls} kernels                   ${f(kernelMs)}`);
  console.log(`    tfjs dispatch, tape, flattening  ${f(shard - kernelMs)}`);
  console.log(`  Adam update (fused)                ${f(adam)}`);
  console.log(`  rest: other replica, messages, avg ${f(step - shard - adam)}`);
  console.log(`  (a 282k-float round trip to a Worker: ${f(message)})`);
  console.log("  per kernel (fwd+bwd of one shard):");
  for (const k of kernels.slice(0, 20)) {
    console.log(`    ${k.name.padEnd(52)} ${f(k.ms)}`);
  }
  return 0;
});

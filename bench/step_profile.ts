/**
 * Where one CNN training step goes (`deno run -P bench/step_profile.ts`):
 * the recipe's step (batch 32 over 2 replicas) timed whole, then its parts
 * on this thread — one 16-image shard's forward + backward with tfjs'
 * per-kernel times, the flattening of gradients, the fused Adam update —
 * and a 282k-float gradient round trip to a Worker (the message hop).
 * CPU time (process.cpuUsage) is measured beside wall time: on a shared
 * machine it is what a part costs, wall time is what it waited too.
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
import process from "node:process";

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

/** CPU milliseconds of this process (all threads) so far. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Medians of wall and CPU time of `fn` over `n` runs. */
async function measure(
  n: number,
  fn: () => unknown,
): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = performance.now(), c = cpuMs();
    await fn();
    cpu.push(cpuMs() - c);
    wall.push(performance.now() - w);
  }
  return { wall: median(wall), cpu: median(cpu) };
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
    const t = await measure(n, async () => {
      data = await once(data.slice()); // a step copies before it sends
    });
    return t.wall;
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
  const step = await measure(n, () => parallel.step(batch, 28, 28, 0, 0));
  parallel.close();

  // Its parts, on this thread alone (the worker is gone, OpenBLAS runs one
  // thread), so CPU time is this thread's work whatever the machine's load.
  const xs = tf.tensor4d(pixels.subarray(0, 16 * 784), [16, 28, 28, 1]);
  const ys = tf.tensor2d(oneHot.subarray(0, 160), [16, 10]);
  const stream = () => 0.5;
  let grads = replica.shardGradients(xs, ys, stream);
  const shard = await measure(
    n,
    () => grads = replica.shardGradients(xs, ys, stream),
  );
  const zeros = new Float32Array(grads.gradients.length);
  const adam = await measure(n, () => replica.applyGradients(zeros));
  // tf.profile times each kernel with the backend's timer: point it at CPU
  // time for the duration.
  const timed = tf.backend() as unknown as {
    time(f: () => void): Promise<{ kernelMs: number }>;
  };
  const ownTimer = timed.time;
  timed.time = (f) => {
    const c = cpuMs();
    f();
    return Promise.resolve({ kernelMs: cpuMs() - c });
  };
  const perKernel = new Map<string, number[]>();
  let kernelCalls = 0;
  try {
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
  } finally {
    timed.time = ownTimer;
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
    /** The whole step: wall ms, and CPU ms of both threads. */
    step,
    /** One shard's forward + backward on this thread: wall and CPU ms. */
    shard,
    /** CPU ms inside kernels, and how many kernel calls. */
    kernelMs,
    kernelCalls,
    /** CPU ms of the shard outside kernels. */
    dispatchAndTapeMs: shard.cpu - kernelMs,
    adam,
    gradientRoundTripMs: message,
    kernels,
  };
  if (flags.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const f = (ms: number) => ms.toFixed(2).padStart(7) + " ms";
  console.log(
    `CNN step, batch 32 over 2 replicas (${backend.gemm}), medians of ${n}; ` +
      "CPU ms are load-proof, wall ms are not:",
  );
  console.log(
    `  whole step: wall ${f(step.wall)}, CPU of both threads ${f(step.cpu)}`,
  );
  console.log(
    `  one shard (16 images) forward + backward, CPU  ${f(shard.cpu)}`,
  );
  console.log(
    `    in ${kernelCalls} kernel calls                      ${f(kernelMs)}`,
  );
  console.log(
    `    outside kernels (tfjs dispatch, tape, JS) ${f(shard.cpu - kernelMs)}`,
  );
  console.log(`  Adam update (fused), CPU                    ${f(adam.cpu)}`);
  console.log(`  a 282k-float round trip to a Worker, wall   ${f(message)}`);
  console.log("  per kernel, CPU (forward + backward of one shard):");
  for (const k of kernels.slice(0, 20)) {
    console.log(`    ${k.name.padEnd(52)} ${f(k.ms)}`);
  }
  return 0;
});

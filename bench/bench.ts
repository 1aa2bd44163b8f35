/**
 * `deno task bench`: training and inference throughput per backend and
 * model (medians over repeats), augmentation throughput, and — with
 * `--peer` — the same models in PyTorch on the same machine in the same
 * run, with the ratio ours / PyTorch.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { logLine, tf, UsageError } from "../lib/core/mod.ts";
import { defineScript, resolveDataDir, runMain } from "../lib/cli/mod.ts";
import { type BackendName, BACKENDS, initBackend } from "../lib/kernels/mod.ts";
import { measureThroughput, type Throughput } from "./benchmark.ts";
import { buildModel, MODEL_NAMES, type ModelName } from "../lib/train/mod.ts";
import { modelFlops } from "./flops.ts";
import { measureSgemmPeak, type SgemmPeak } from "./peak.ts";
import { benchmarkAugment } from "./augment_benchmark.ts";
import { benchSplit, catalogueRate } from "./corruption_bench.ts";
import { CORRUPTIONS } from "../lib/robustness/mod.ts";
import { loadMnist } from "../lib/data/mod.ts";
import { join } from "node:path";
import { cpus } from "node:os";

const info = defineScript({
  usage: "deno task bench [flags]",
  summary: `
Measure training images/s (each model's recipe batch size), inference
images/s (batch 1,000) per backend and model, as medians over repeats;
augmentation images/s; corruption generation images/s over the robustness
catalogue (every corruption at every severity, one thread). First the
machine's SGEMM peak (OpenBLAS on all cores, else the backend's matmul),
then per model its analytic FLOPs per image (bench/flops.ts), the achieved
GFLOP/s and the fraction of that peak. With --peer, also run bench/peer_pytorch.py (needs python3 with torch,
e.g. Debian's python3-torch) and print ours / PyTorch.`,
  flags: {
    backends: {
      type: "string",
      valueName: "LIST",
      description: "comma-separated backends",
      default: BACKENDS.join(","),
    },
    models: {
      type: "string",
      valueName: "LIST",
      description: "comma-separated models",
      default: MODEL_NAMES.join(","),
    },
    replicas: {
      type: "int",
      min: 1,
      max: 16,
      valueName: "N",
      description:
        "data-parallel replicas for every model (default: each recipe's)",
    },
    repeats: {
      type: "int",
      min: 1,
      valueName: "N",
      description: "timed repeats per figure",
      default: 5,
    },
    "models-only": {
      type: "boolean",
      description: "skip the augmentation and corruption figures",
    },
    peer: {
      type: "boolean",
      description: "also run the PyTorch peer and print ratios",
    },
    json: {
      type: "boolean",
      description: "print one JSON object instead of a table",
    },
  },
});

/** PyTorch's figures for one model. */
interface PeerFigures {
  train_images_per_s: number;
  infer_images_per_s: number;
  batch: number;
}

/** What `peer_pytorch.py --json` prints. */
interface PeerResult {
  torch: string;
  threads: number;
  models: Partial<Record<ModelName, PeerFigures>>;
}

function parseList<T extends string>(
  raw: string,
  allowed: readonly T[],
  flag: string,
): T[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(
        `--${flag}: unknown "${item}"; choose from ${allowed.join(", ")}`,
      );
    }
  }
  return items as T[];
}

async function findTorchPython(): Promise<string | undefined> {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const probe = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (probe.success) return python;
    } catch {
      // Not installed under this name; try the next.
    }
  }
  return undefined;
}

async function runPeer(
  models: ModelName[],
  repeats: number,
): Promise<PeerResult | string> {
  const python = await findTorchPython();
  if (!python) {
    return "no python3 with torch found (Debian: apt-get install python3-torch)";
  }
  const script = fileURLToPath(new URL("./peer_pytorch.py", import.meta.url));
  const out = await new Deno.Command(python, {
    args: [
      script,
      "--json",
      "--models",
      models.join(","),
      "--repeats",
      String(repeats),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return `peer_pytorch.py failed: ${
      new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
    }`;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as PeerResult;
}

function cpuModel(): string {
  try {
    return cpus()[0]?.model ?? "unknown CPU";
  } catch {
    return "unknown CPU"; // no --allow-sys
  }
}

const fmt = (n: number | undefined) =>
  n === undefined ? "—" : Math.round(n).toLocaleString("en-US");
const ratio = (a: number, b: number | undefined) =>
  b ? (a / b).toFixed(2) + "×" : "—";

/** Augmentation throughput on the real training split, if it is here. */
async function augmentFigures(
  repeats: number,
): Promise<{ transform: number; withGzip: number; workers: number } | string> {
  const dir = Deno.env.get("MNIST_SOURCE") ??
    join(resolveDataDir(undefined), "mnist");
  let split;
  try {
    split = await loadMnist(dir, "train");
  } catch {
    return `no MNIST training split in ${dir} (run deno task fetch or set MNIST_SOURCE)`;
  }
  const transform = await benchmarkAugment({ split, runs: repeats });
  const withGzip = await benchmarkAugment({ split, runs: repeats, gzip: true });
  return {
    transform: transform.imagesPerSecond,
    withGzip: withGzip.imagesPerSecond,
    workers: transform.workers,
  };
}

/** Generation rate of the whole corruption catalogue (bench/corruption_bench.ts). */
async function corruptionFigures(): Promise<{
  source: string;
  images: number;
  imagesPerCpuSecond: number | null;
  imagesPerSecond: number;
}> {
  const { split, real } = await benchSplit(
    Deno.env.get("MNIST_SOURCE") ?? join(resolveDataDir(undefined), "mnist"),
  );
  const t = catalogueRate(split);
  return {
    source: real ? "MNIST test" : "synthetic",
    images: t.images,
    // Without CPU time (Deno reads /proc/thread-self only with -A), null.
    imagesPerCpuSecond: t.hasCpu ? t.images / t.cpu : null,
    imagesPerSecond: t.images / t.wall,
  };
}

/** FLOPs per image and what the measured rates make of them. */
interface FlopFigures {
  /** Analytic FLOPs of one training image (forward + backward). */
  trainFlopsPerImage: number;
  /** Analytic FLOPs of one inference image. */
  inferFlopsPerImage: number;
  /** Achieved training GFLOP/s. */
  trainGflops: number;
  /** Achieved inference GFLOP/s. */
  inferGflops: number;
  /** Training GFLOP/s over the SGEMM peak. */
  trainFractionOfPeak: number;
  /** Inference GFLOP/s over the SGEMM peak. */
  inferFractionOfPeak: number;
}

function flopFigures(
  model: ModelName,
  t: Throughput,
  peak: SgemmPeak,
): FlopFigures {
  const built = buildModel(model, 1);
  const flops = modelFlops(built);
  built.dispose();
  const trainGflops = t.trainImagesPerSecond * flops.training / 1e9;
  const inferGflops = t.inferImagesPerSecond * flops.forward / 1e9;
  return {
    trainFlopsPerImage: flops.training,
    inferFlopsPerImage: flops.forward,
    trainGflops,
    inferGflops,
    trainFractionOfPeak: trainGflops / peak.gflops,
    inferFractionOfPeak: inferGflops / peak.gflops,
  };
}

const pct = (x: number) => (100 * x).toFixed(1) + " %";

runMain(info, async (flags) => {
  const backends = parseList<BackendName>(flags.backends, BACKENDS, "backends");
  const models = parseList<ModelName>(flags.models, MODEL_NAMES, "models");
  const { repeats, replicas } = flags;

  const peer = flags.peer ? await runPeer(models, repeats) : undefined;
  if (typeof peer === "string") logLine(`peer skipped: ${peer}`);
  // Before any backend loads OpenBLAS for training (its thread count is
  // process-wide); the tfjs fallback needs a backend, so start the first.
  if (!flags.json) logLine("measuring the SGEMM peak…");
  await initBackend(backends[0]);
  const peak = measureSgemmPeak();
  const results: (Throughput & FlopFigures & {
    backend: BackendName;
    gemm: string;
  })[] = [];
  for (const backend of backends) {
    const started = await initBackend(backend);
    for (const model of models) {
      if (!flags.json) logLine(`measuring ${model} on ${backend}…`);
      const t = await measureThroughput(model, { repeats, replicas });
      results.push({
        ...t,
        ...flopFigures(model, t, peak),
        backend,
        gemm: started.gemm,
      });
    }
  }
  const extras = !flags["models-only"];
  if (!flags.json && extras) logLine("measuring augmentation…");
  const augment = extras ? await augmentFigures(repeats) : "--models-only";
  if (!flags.json && extras) logLine("measuring corruption generation…");
  const corruption = extras ? await corruptionFigures() : null;
  const peerModels = typeof peer === "object" ? peer.models : {};
  const machine = {
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    tfjs: tf.version.tfjs,
  };
  if (flags.json) {
    console.log(JSON.stringify(
      {
        machine,
        peak,
        results,
        augment: typeof augment === "object" ? augment : null,
        corruption,
        peer: typeof peer === "object" ? peer : null,
      },
      null,
      2,
    ));
    return 0;
  }
  console.log(
    `${machine.cpu}, ${machine.cores} cores, Deno ${machine.deno}, tfjs ${machine.tfjs}` +
      (typeof peer === "object"
        ? `, PyTorch ${peer.torch} (${peer.threads} threads)`
        : "") +
      `; medians of ${repeats} runs`,
  );
  console.log(
    `SGEMM peak: ${
      peak.gflops.toFixed(1)
    } GFLOP/s (${peak.gemm}, ${peak.threads} threads, ${peak.size}²)`,
  );
  const header = [
    "backend",
    "matmul",
    "model",
    "batch",
    "replicas",
    "train img/s",
    "MFLOP/img",
    "GFLOP/s",
    "of peak",
    "infer img/s",
    "torch train",
    "torch infer",
    "train ratio",
    "infer ratio",
  ];
  const rows = results.map((r) => {
    const p = peerModels[r.model];
    return [
      r.backend,
      r.gemm,
      r.model,
      String(r.batchSize),
      String(r.replicas),
      fmt(r.trainImagesPerSecond),
      (r.trainFlopsPerImage / 1e6).toFixed(2),
      r.trainGflops.toFixed(1),
      pct(r.trainFractionOfPeak),
      fmt(r.inferImagesPerSecond),
      fmt(p?.train_images_per_s),
      fmt(p?.infer_images_per_s),
      ratio(r.trainImagesPerSecond, p?.train_images_per_s),
      ratio(r.inferImagesPerSecond, p?.infer_images_per_s),
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  for (const row of [header, ...rows]) {
    console.log(
      row.map((cell, i) =>
        i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])
      ).join("  "),
    );
  }
  if (!corruption) return 0; // --models-only
  console.log(
    typeof augment === "object"
      ? `augment (seed preset, 60,000 images, ${augment.workers} workers): ${
        fmt(augment.transform)
      } img/s transform, ${
        fmt(augment.withGzip)
      } img/s with gzip'd IDX encoding`
      : `augment skipped: ${augment}`,
  );
  console.log(
    `corruption (${CORRUPTIONS.length} corruptions × 5 severities, ${
      fmt(corruption.images / (CORRUPTIONS.length * 5))
    } ${corruption.source} images each, 1 thread): ${
      corruption.imagesPerCpuSecond === null
        ? ""
        : `${fmt(corruption.imagesPerCpuSecond)} img/s per CPU second, `
    }${fmt(corruption.imagesPerSecond)} img/s wall (target ≥ 20,000)`,
  );
  return 0;
});

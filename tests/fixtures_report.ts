/**
 * A small synthetic but consistent set of artifacts for the report tests:
 * a noisy test split of seven-segment digits, a sample grid, an augment
 * manifest, and per model a history, predictions, metrics whose confusion
 * matrices are computed from those predictions by `lib/metrics.ts`, and a
 * manifest pointing at the noisy manifest's hash. Deterministic.
 *
 * @module
 */

import { join } from "node:path";
import { writeJsonAtomic } from "../lib/core/fsutil.ts";
import { sha256File } from "../lib/core/hash.ts";
import { writeIdx } from "../lib/data/idx.ts";
import {
  denoVersions,
  hashFiles,
  type Json,
  type StageManifest,
  writeManifest,
} from "../lib/core/manifest.ts";
import {
  accuracyOf,
  confusionMatrix,
  macroF1,
  perClassMetrics,
} from "../lib/evaluate/metrics.ts";
import { NOISY_FILES } from "../lib/data/mnist.ts";
import type { ModelName } from "../lib/train/models.ts";
import { RECIPES } from "../lib/train/recipes.ts";
import type { EpochRecord } from "../lib/train/train.ts";
import type { ModelMetrics } from "../lib/train/stage.ts";
import type { SplitMetrics } from "../lib/evaluate/evaluate.ts";
import { encodeGrayPng, enlargeGray } from "../lib/core/mod.ts";
import type { PredictionSet, PredictionsFile } from "../lib/report/load.ts";

/** Options of {@link writeReportFixture}. */
export interface ReportFixtureOptions {
  /**
   * Which model folders to write (default the study's two); another name
   * (`cnn-robust`) is a model of the architecture its name starts with,
   * at 97 % noisy accuracy.
   */
  models?: readonly string[];
  /** Test images (default 200). */
  count?: number;
  /**
   * Write `noisy/` (default true). With false, an existing `noisy/` (e.g. a
   * real one) is used and `labels` must be its test labels.
   */
  noisy?: boolean;
  /** The test labels, when `noisy` is false. */
  labels?: Uint8Array;
}

/** What the fixture wrote. */
export interface ReportFixture {
  /** `metrics.json` of each written model. */
  metrics: Partial<Record<string, ModelMetrics>>;
  /** Number of test images. */
  count: number;
}

/** A small seeded generator (mulberry32), enough for a fixture. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Segments a–g of a seven-segment display, per digit.
const SEGMENTS = [
  "abcdef",
  "bc",
  "abdeg",
  "abcdg",
  "bcfg",
  "acdfg",
  "acdefg",
  "abc",
  "abcdefg",
  "abcdfg",
];

/** A 28×28 seven-segment digit, shifted by (dx, dy), optionally noisy. */
export function drawDigit(
  digit: number,
  dx: number,
  dy: number,
  noise: number,
  random: () => number,
): Uint8Array {
  const img = new Uint8Array(28 * 28);
  const plot = (x: number, y: number) => {
    const px = x + dx;
    const py = y + dy;
    if (px >= 0 && px < 28 && py >= 0 && py < 28) img[py * 28 + px] = 255;
  };
  const h = (y: number) => {
    for (let x = 9; x <= 18; x++) for (let t = 0; t < 2; t++) plot(x, y + t);
  };
  const v = (x: number, y0: number) => {
    for (let y = y0; y <= y0 + 8; y++) {
      for (let t = 0; t < 2; t++) plot(x + t, y);
    }
  };
  for (const s of SEGMENTS[digit]) {
    if (s === "a") h(4);
    if (s === "g") h(13);
    if (s === "d") h(22);
    if (s === "f") v(8, 5);
    if (s === "b") v(18, 5);
    if (s === "e") v(8, 14);
    if (s === "c") v(18, 14);
  }
  for (let i = 0; i < img.length; i++) {
    if (random() < noise) img[i] = Math.floor(random() * 200);
  }
  return img;
}

function predictionSet(
  labels: Uint8Array,
  accuracy: number,
  random: () => number,
): PredictionSet {
  const predicted: number[] = [];
  const confidence: number[] = [];
  for (const label of labels) {
    const right = random() < accuracy;
    predicted.push(
      right ? label : (label + 1 + Math.floor(random() * 9)) % 10,
    );
    confidence.push(Math.round((0.35 + 0.65 * random()) * 1e4) / 1e4);
  }
  return { predicted, confidence };
}

function splitMetrics(labels: Uint8Array, set: PredictionSet): SplitMetrics {
  const confusion = confusionMatrix(labels, set.predicted);
  const perClass = perClassMetrics(confusion);
  const accuracy = accuracyOf(confusion);
  return {
    count: labels.length,
    loss: Math.round((1 - accuracy) * 1.7 * 1e4) / 1e4 + 0.05,
    accuracy,
    confusion,
    perClass,
    macroF1: macroF1(perClass),
  };
}

function history(model: ModelName, epochs: number): EpochRecord[] {
  const top = model === "cnn" ? 0.95 : 0.8;
  return Array.from({ length: epochs }, (_, i) => {
    const progress = 1 - Math.exp(-(i + 1) / 2.5);
    return {
      epoch: i + 1,
      loss: 1.6 - 1.3 * progress * top,
      accuracy: 0.3 + (top + 0.02 - 0.3) * progress,
      valLoss: 1.5 - 1.2 * progress * top + (i > 6 ? 0.01 * (i - 6) : 0),
      valAccuracy: 0.35 + (top - 0.35) * progress,
      lr: model === "cnn" && i >= 7 ? 5e-4 : 1e-3,
      seconds: 10 + i,
      imagesPerSecond: model === "cnn" ? 3000 : 9000,
    };
  });
}

/** The noisy test split, its sample grid and the augment manifest. */
async function writeNoisy(
  noisyDir: string,
  labels: Uint8Array,
  random: () => number,
): Promise<void> {
  const count = labels.length;
  const images = new Uint8Array(count * 28 * 28);
  labels.forEach((label, i) => {
    const dx = Math.floor(random() * 7) - 3;
    const dy = Math.floor(random() * 5) - 2;
    images.set(drawDigit(label, dx, dy, 0.06, random), i * 28 * 28);
  });
  await writeIdx(join(noisyDir, NOISY_FILES.test.images), {
    dtype: "uint8",
    shape: [count, 28, 28],
    data: images,
  });
  await writeIdx(join(noisyDir, NOISY_FILES.test.labels), {
    dtype: "uint8",
    shape: [count],
    data: labels,
  });
  // Sample grid: a row of clean digits above their noisy versions.
  const grid = new Uint8Array(56 * 280);
  for (let d = 0; d < 10; d++) {
    const clean = drawDigit(d, 0, 0, 0, random);
    const noisy = images.subarray(d * 784, (d + 1) * 784);
    for (let y = 0; y < 28; y++) {
      grid.set(clean.subarray(y * 28, y * 28 + 28), y * 280 + d * 28);
      grid.set(noisy.subarray(y * 28, y * 28 + 28), (y + 28) * 280 + d * 28);
    }
  }
  await Deno.writeFile(
    join(noisyDir, "samples.png"),
    encodeGrayPng(enlargeGray({ width: 280, height: 56, pixels: grid }, 2)),
  );
  const noisyOutputs = [
    NOISY_FILES.test.images,
    NOISY_FILES.test.labels,
    "samples.png",
  ];
  const noisyManifest: StageManifest = {
    stage: "augment",
    params: {
      preset: "seed",
      rotation: [-72, 72],
      translateX: [-0.2, 0.2],
      translateY: [-0.2, 0.2],
      zoomY: 1.2,
      fill: "reflect",
      brightness: [-0.2, 0.2],
      seed: 42,
    },
    inputs: { "mnist/t10k-images-idx3-ubyte.gz": "0".repeat(64) },
    outputs: await hashFiles(noisyDir, noisyOutputs),
    versions: denoVersions(),
    startedAt: "2025-01-01T00:00:00.000Z",
    seconds: 12.5,
    results: {
      testCount: count,
      cleanMean: 0.1307,
      cleanStd: 0.3081,
      noisyMean: 0.1712,
      noisyStd: 0.2893,
    },
  };
  await writeManifest(noisyDir, noisyManifest);
}

/**
 * Write the fixture into `dataDir` (which must exist).
 *
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir();
 * const { metrics } = await writeReportFixture(dir, { models: ["cnn"] });
 * ```
 */
export async function writeReportFixture(
  dataDir: string,
  options: ReportFixtureOptions = {},
): Promise<ReportFixture> {
  const models = options.models ?? ["dense", "cnn"];
  const random = generator(7);
  const labels = options.labels ??
    Uint8Array.from({ length: options.count ?? 200 }, (_, i) => i % 10);
  const count = labels.length;
  const noisyDir = join(dataDir, "noisy");
  const metrics: Partial<Record<string, ModelMetrics>> = {};
  if (options.noisy !== false) await writeNoisy(noisyDir, labels, random);
  const noisyHash = await sha256File(join(noisyDir, "manifest.json"));

  for (const folder of models) {
    const dir = join(dataDir, "models", folder);
    const model: ModelName = folder.startsWith("cnn") ? "cnn" : "dense";
    const accuracy = folder === "cnn" ? 0.93 : folder === "dense" ? 0.78 : 0.97;
    const predictions: PredictionsFile = {
      noisy: predictionSet(labels, accuracy, random),
      clean: predictionSet(labels, 0.985, random),
    };
    const recipe = RECIPES[model];
    const epochs = history(model, model === "cnn" ? 12 : 15);
    const m: ModelMetrics = {
      model,
      params: model === "cnn" ? 282_058 : 235_146,
      recipe,
      limit: null,
      backend: "wasm",
      gemm: "js",
      tfjs: "4.22.0",
      epochsRun: epochs.length,
      // The dense net's lowest validation loss is not its last epoch, whose
      // weights it keeps (no restore-best in its recipe).
      bestEpoch: model === "cnn" ? 7 : 13,
      stoppedEarly: model === "cnn",
      trainSeconds: model === "cnn" ? 5421.3 : 812.7,
      imagesPerSecond: model === "cnn" ? 2950.4 : 8850.2,
      inferenceImagesPerSecond: model === "cnn" ? 3100 : 9900,
      inputStandardization: { mean: 0.1528, std: 0.2608 },
      counts: { train: 48_000, validation: 12_000 },
      test: {
        noisy: splitMetrics(labels, predictions.noisy),
        clean: splitMetrics(labels, predictions.clean),
      },
    };
    metrics[folder] = m;
    await writeJsonAtomic(join(dir, "history.json"), { epochs });
    await writeJsonAtomic(join(dir, "metrics.json"), m);
    await writeJsonAtomic(join(dir, "predictions.json"), predictions);
    const manifest: StageManifest = {
      stage: `train:${model}`,
      params: {
        recipe: recipe as unknown as Json,
        limit: null,
        backend: "auto",
      },
      inputs: { "noisy/manifest.json": noisyHash },
      outputs: await hashFiles(dir, [
        "history.json",
        "metrics.json",
        "predictions.json",
      ]),
      versions: { ...denoVersions(), tfjs: "4.22.0", backend: "wasm" },
      startedAt: "2025-01-01T01:00:00.000Z",
      seconds: m.trainSeconds + 30,
      results: { seed: recipe.seed, noisyTestAccuracy: m.test.noisy.accuracy },
    };
    await writeManifest(dir, manifest);
  }
  return { metrics, count };
}

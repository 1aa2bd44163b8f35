/**
 * The robust recipes: fresh augmentation is keyed by (seed, epoch, index)
 * (pure generator, Worker, resumed training), the study's recipes keep
 * their exact JSON, per-image standardisation (known answer, save/load),
 * and a tiny real-MNIST run of `train:cnn-robust` through runTrainStage.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { initBackend } from "../lib/kernels/backend.ts";
import {
  loadMnist,
  MNIST_FILES,
  type MnistSplit,
  takeFirst,
} from "../lib/data/mnist.ts";
import { augmentImages, ImageAugmenter } from "../lib/augment/augment.ts";
import { PRESETS } from "../lib/augment/config.ts";
import { runAugmentStage } from "../lib/augment/stage.ts";
import { type Recipe, RECIPES, trainTask } from "../lib/train/recipes.ts";
import {
  FRESH_SPLIT_BASE,
  freshEpochImages,
  FreshEpochs,
  type FreshSource,
  freshSplitId,
  uprightImages,
} from "../lib/train/fresh.ts";
import { resolveMix } from "../lib/train/mix.ts";
import { MIXES } from "../lib/augment/mix/mod.ts";
import { MNIST_C_NAMES } from "../lib/robustness/catalogue.ts";
import { buildCnn, perImageStandardization } from "../lib/train/models.ts";
import { loadModel, saveModel } from "../lib/train/model_io.ts";
import { type EpochRecord, holdOut, train } from "../lib/train/train.ts";
import { runTrainStage, trainStageParams } from "../lib/train/stage.ts";
import { recipeFromFlags, trainScript } from "../lib/cli/train.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { canonicalJson, type Json } from "../lib/core/manifest.ts";
import { UsageError } from "../lib/core/errors.ts";
import { tf } from "../lib/core/tf.ts";
import { MNIST_DIR, withTempDir } from "./helpers.ts";

await initBackend("auto");

/** A recipe as its manifest records it (canonical JSON). */
const recipeJson = (recipe: Recipe) => canonicalJson(recipe as unknown as Json);

const FRESH = { fresh: true, preset: "seed", mix: "none" } as const;

/** `count` 28×28 images with a different bright bar each (not symmetric). */
function barImages(count: number): Uint8Array {
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    for (let r = 4; r < 24; r++) {
      images[i * 784 + r * 28 + 6 + (i % 10)] = 255;
      images[i * 784 + 20 * 28 + r] = 200;
    }
  }
  return images;
}

function source(indices: number[], images?: Uint8Array): FreshSource {
  return {
    images: images ?? barImages(indices.length),
    indices: Int32Array.from(indices),
    rows: 28,
    cols: 28,
    seed: 42,
    augmentation: FRESH,
  };
}

/** Image `j` (784 bytes) of `images`. */
function image(images: Uint8Array, j: number): Uint8Array {
  return images.subarray(j * 784, (j + 1) * 784);
}

Deno.test("fresh epochs: same seed and epoch give the same bytes, other epochs and seeds others", () => {
  const src = source([0, 1, 2, 3, 4, 5, 6, 7]);
  const e0 = freshEpochImages(src, 0);
  assert.deepEqual(freshEpochImages(src, 0), e0);
  const e1 = freshEpochImages(src, 1);
  for (let j = 0; j < 8; j++) {
    assert.notDeepEqual(image(e1, j), image(e0, j), `image ${j}`);
  }
  const otherSeed = freshEpochImages({ ...src, seed: 43 }, 0);
  assert.notDeepEqual(otherSeed, e0);
  // The clean images are only read.
  assert.deepEqual(src.images, barImages(8));
});

Deno.test("fresh epochs: an image depends on its MNIST index only, not on its neighbours or position", () => {
  const all = barImages(8);
  const full = freshEpochImages(
    source([10, 11, 12, 13, 14, 15, 16, 17], all),
    3,
  );
  // Images 5 and 2 alone, in the other order: the same bytes as in the full run.
  const picked = new Uint8Array(2 * 784);
  picked.set(image(all, 5), 0);
  picked.set(image(all, 2), 784);
  const part = freshEpochImages(source([15, 12], picked), 3);
  assert.deepEqual(image(part, 0), image(full, 5));
  assert.deepEqual(image(part, 1), image(full, 2));
});

Deno.test("fresh epochs with an upright share: drawn images stay the clean digit, the others are as without it, keyed per epoch", () => {
  const indices = Array.from({ length: 400 }, (_, i) => 100 + i);
  const images = barImages(400);
  const plain = freshEpochImages(source(indices, images), 2);
  const src = {
    ...source(indices, images),
    augmentation: { ...FRESH, upright: 0.3 },
  };
  const made = freshEpochImages(src, 2);
  const upright = uprightImages(Int32Array.from(indices), 42, 2, 0.3);
  let kept = 0;
  for (let j = 0; j < 400; j++) {
    if (upright[j]) {
      kept++;
      assert.deepEqual(image(made, j), image(images, j), `image ${j}`);
    } else {
      // Not drawn: the same bytes as with no upright share at all.
      assert.deepEqual(image(made, j), image(plain, j), `image ${j}`);
    }
  }
  // Binomial(400, 0.3): 120 ± 9.2; within four standard deviations.
  assert.ok(Math.abs(kept - 120) < 37, `${kept} upright`);
  // Another epoch draws other images; the same epoch the same ones.
  assert.notDeepEqual(
    uprightImages(Int32Array.from(indices), 42, 3, 0.3),
    upright,
  );
  assert.deepEqual(freshEpochImages(src, 2), made);
  // The mix still applies to upright images (robust corrupts three in four).
  const inverted = freshEpochImages(
    { ...src, augmentation: { ...FRESH, upright: 0.99, mix: "robust" } },
    2,
  );
  assert.notDeepEqual(
    inverted,
    freshEpochImages(
      { ...src, augmentation: { ...FRESH, upright: 0.99 } },
      2,
    ),
  );
});

Deno.test("fresh epochs never repeat the fixed noisy copies' draws (split ids 0 and 1)", () => {
  assert.equal(freshSplitId(0), FRESH_SPLIT_BASE);
  assert.ok(FRESH_SPLIT_BASE > 1);
  assert.throws(() => freshSplitId(-1), RangeError);
  const images = barImages(4);
  const fresh = freshEpochImages(source([0, 1, 2, 3], images), 0);
  for (const split of ["train", "test"] as const) {
    const fixed = augmentImages({
      images,
      count: 4,
      rows: 28,
      cols: 28,
      config: PRESETS.seed,
      seed: 42,
      split,
    });
    for (let j = 0; j < 4; j++) {
      assert.notDeepEqual(image(fresh, j), image(fixed, j));
    }
  }
});

Deno.test("the corruption hook sees the transformed float pixels before they are rounded and clipped", () => {
  const images = barImages(1);
  const augmenter = new ImageAugmenter(PRESETS.seed, 28, 28);
  const plain = new Uint8Array(784);
  augmenter.augmentInto(images, 0, plain, 0, 42, 1000, 0);
  const hooked = new Uint8Array(784);
  let seen: Float32Array | undefined;
  augmenter.augmentInto(images, 0, hooked, 0, 42, 1000, 0, (pixels) => {
    seen = pixels.slice();
    pixels.fill(300.7); // out of range: must come out clipped
  });
  assert.ok(seen);
  assert.deepEqual(
    Uint8Array.from(seen, (v) => v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0),
    plain,
  );
  assert.ok(seen.some((v) => v !== Math.round(v)), "float pixels, not bytes");
  assert.deepEqual(hooked, new Uint8Array(784).fill(255));
});

Deno.test("resolveMix: none is the identity; an unknown mix is a one-line usage error", () => {
  assert.equal(resolveMix("none", 28, 28), undefined);
  assert.throws(() => resolveMix("fog", 28, 28), UsageError);
  assert.throws(
    () =>
      new FreshEpochs({
        ...source([0]),
        augmentation: { ...FRESH, mix: "fog" },
      }),
    UsageError,
  );
});

Deno.test({
  name:
    "FreshEpochs: the Worker makes the same bytes as the pure function, epoch after epoch, and after a jump",
  async fn() {
    const src = source([3, 1, 4, 1, 5]);
    const epochs = new FreshEpochs(src);
    try {
      epochs.prefetch(0);
      assert.deepEqual(await epochs.images(0), freshEpochImages(src, 0));
      assert.deepEqual(await epochs.images(1), freshEpochImages(src, 1));
      // A resumed run asks for a later epoch than the one made ahead.
      assert.deepEqual(await epochs.images(4, true), freshEpochImages(src, 4));
    } finally {
      epochs.close();
    }
  },
});

/** The deterministic part of an epoch record (not its timings). */
function numbers(history: EpochRecord[]) {
  return history.map(({ epoch, loss, accuracy, valLoss, valAccuracy }) => ({
    epoch,
    loss,
    accuracy,
    valLoss,
    valAccuracy,
  }));
}

Deno.test({
  name:
    "training on fresh epochs: stopped mid-epoch and resumed, it replays the uninterrupted run",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const clean = takeFirst(await loadMnist(MNIST_DIR!, "train"), 640);
    // The fixed copy: any other images with the same labels.
    const data: MnistSplit = {
      ...clean,
      images: augmentImages({
        ...clean,
        config: PRESETS.seed,
        seed: 42,
        split: "train",
      }),
    };
    const recipe: Recipe = {
      ...RECIPES["dense-robust"],
      epochs: 2,
      batchSize: 64,
      augmentation: FRESH,
    };
    const straight = await train({ recipe, data, clean, fingerprint: "f" });
    straight.model.dispose();
    const fixed = await train({
      recipe: { ...recipe, augmentation: undefined },
      data,
      fingerprint: "f",
    });
    fixed.model.dispose();
    // Fresh epochs train on other images than the fixed copy...
    assert.notEqual(straight.history[0].loss, fixed.history[0].loss);
    // ...but validate on the same fixed hold-out.
    assert.equal(straight.counts.validation, fixed.counts.validation);
    await withTempDir(async (dir) => {
      const checkpointPath = join(dir, "checkpoint.bin");
      let batches = 0;
      const first = await train({
        recipe,
        data,
        clean,
        fingerprint: "f",
        checkpointPath,
        onBatch: () => batches++,
        shouldStop: () => batches >= 11, // epoch 2, batch 3 of 8
      });
      assert.ok(first.interrupted);
      first.model.dispose();
      const resumed = await train({
        recipe,
        data,
        clean,
        fingerprint: "f",
        checkpointPath,
        resume: true,
        freshInThread: true,
      });
      resumed.model.dispose();
      assert.deepEqual(numbers(resumed.history), numbers(straight.history));
    });
    // Clean images that are not the same digits are refused.
    const shuffled = {
      ...clean,
      labels: clean.labels.map((l) => (l + 1) % 10),
    };
    await assert.rejects(
      train({ recipe, data, clean: shuffled, fingerprint: "f" }),
      /clean MNIST training images matching/,
    );
    assert.deepEqual(holdOut(640, 0.2, 42).train.length, straight.counts.train);
  },
});

Deno.test("the study's recipes keep their exact JSON (their manifests' identity)", () => {
  // Adding a field to a study recipe changes this JSON, and with it every
  // trained model's manifest params: already-trained models would retrain.
  assert.equal(
    recipeJson(RECIPES.dense),
    '{"batchSize":128,"epochs":15,"inputs":"standardized","learningRate":0.001,"model":"dense","optimizer":"rmsprop","replicas":1,"seed":42,"validationSplit":0.2}',
  );
  assert.equal(
    recipeJson(RECIPES.cnn),
    '{"batchSize":32,"earlyStopping":{"patience":5,"restoreBestWeights":true},"epochs":30,"inputs":"standardized","learningRate":0.001,"model":"cnn","optimizer":"adam","reduceLrOnPlateau":{"factor":0.5,"minDelta":0.0001,"minLr":0.00001,"patience":3},"replicas":2,"seed":42,"validationSplit":0.2}',
  );
  // The training scripts' default flags give exactly these recipes.
  for (const model of ["dense", "cnn"] as const) {
    const flags = parseFlags([], trainScript(model))!;
    assert.equal(
      recipeJson(recipeFromFlags(model, flags)),
      recipeJson(RECIPES[model]),
    );
  }
});

Deno.test("the robust recipes: the study's architecture, fresh epochs, per-image inputs, a cosine schedule; flags switch each off", () => {
  for (const model of ["dense", "cnn"] as const) {
    const robust = RECIPES[`${model}-robust`];
    const { augmentation, inputs, cosineDecay, ...rest } = robust;
    const { inputs: _, reduceLrOnPlateau: __, ...study } = RECIPES[model];
    assert.deepEqual(rest, study);
    assert.equal(inputs, "per-image");
    assert.deepEqual(cosineDecay, { minLr: 1e-5 });
    assert.deepEqual(augmentation, {
      fresh: true,
      preset: "seed",
      mix: "robust",
      upright: 0.2,
    });
    const parse = (...args: string[]) =>
      recipeFromFlags(model, parseFlags(args, trainScript(model))!);
    assert.deepEqual(parse("--recipe", "robust"), robust);
    assert.equal(
      parse("--recipe", "robust", "--mix", "none").augmentation?.mix,
      "none",
    );
    assert.equal(
      parse("--recipe", "robust", "--augment", "fixed").augmentation,
      undefined,
    );
    assert.equal(
      parse("--recipe", "robust", "--inputs", "standardized").inputs,
      "standardized",
    );
    assert.deepEqual(parse("--augment", "fresh").augmentation, FRESH);
    // --schedule swaps the schedule and leaves exactly one (or none).
    const plateau = parse("--recipe", "robust", "--schedule", "plateau");
    assert.equal(plateau.cosineDecay, undefined);
    assert.deepEqual(plateau.reduceLrOnPlateau, RECIPES.cnn.reduceLrOnPlateau);
    const none = parse("--schedule", "none");
    assert.equal(none.reduceLrOnPlateau, undefined);
    assert.equal(none.cosineDecay, undefined);
    // Without the flag a study recipe is its JSON, key order included.
    assert.equal(
      JSON.stringify(parse()),
      JSON.stringify({ ...RECIPES[model], replicas: RECIPES[model].replicas }),
    );
    assert.throws(() => parse("--mix", "none"), UsageError);
    assert.throws(
      () => parse("--recipe", "robust", "--mix", "fog"),
      UsageError,
    );
  }
});

Deno.test("per-image standardisation: known answer, blank images, no parameters", () => {
  const layer = perImageStandardization([2, 2, 1]);
  const out = tf.tidy(() =>
    (layer.apply(
      tf.tensor4d([0, 0, 1, 1, 0.2, 0.2, 0.2, 0.2, 0.1, 0.3, 0.5, 0.7], [
        3,
        2,
        2,
        1,
      ]),
    ) as tf.Tensor)
      .arraySync() as number[][][][]
  );
  const flat = out.map((img) => img.flat(2));
  // Mean 0.5, std 0.5: ±1. A blank image: all 0. Mean 0.4, std √0.05.
  flat[0].forEach((v, i) =>
    assert.ok(Math.abs(v - [-1, -1, 1, 1][i]) < 1e-4, `${v}`)
  );
  flat[1].forEach((v) => assert.ok(Math.abs(v) < 1e-6, `${v}`));
  const s = Math.sqrt(0.05);
  flat[2].forEach((v, i) =>
    assert.ok(Math.abs(v - ([0.1, 0.3, 0.5, 0.7][i] - 0.4) / s) < 1e-3, `${v}`)
  );
  assert.equal(layer.countParams(), 0);
  assert.equal(buildCnn(1, "per-image").countParams(), 282_058);
});

Deno.test({
  name:
    "a per-image model saves and loads with tf.loadLayersModel, predicting the same, brightness-invariant",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const model = buildCnn(3, "per-image");
    const xs = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 7);
    await withTempDir(async (dir) => {
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      const a = (model.predict(xs) as tf.Tensor).arraySync() as number[][];
      const b = (loaded.predict(xs) as tf.Tensor).arraySync() as number[][];
      a.flat().forEach((v, i) => assert.ok(Math.abs(v - b.flat()[i]) < 1e-6));
      // Per-image: a brighter, higher-contrast copy gets the same answer.
      const brighter = tf.add(tf.mul(xs, 0.5), 0.3);
      const c = (loaded.predict(brighter) as tf.Tensor)
        .arraySync() as number[][];
      a.flat().forEach((v, i) => assert.ok(Math.abs(v - c.flat()[i]) < 1e-4));
      tf.dispose([brighter]);
      loaded.dispose();
    });
    tf.dispose([xs]);
    model.dispose();
  },
});

Deno.test({
  name:
    "train:cnn-robust on 300 real images, 2 epochs: models/cnn-robust/ with its manifest, then up to date",
  ignore: MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dataDir) => {
      await mkdir(join(dataDir, "mnist"));
      for (const files of Object.values(MNIST_FILES)) {
        for (const file of [files.images, files.labels]) {
          await copyFile(join(MNIST_DIR!, file), join(dataDir, "mnist", file));
        }
      }
      await runAugmentStage({
        dataDir,
        preset: "seed",
        config: PRESETS.seed,
        seed: 42,
        limit: 300,
        workers: 1,
      });
      const recipe: Recipe = {
        ...RECIPES["cnn-robust"],
        epochs: 2,
        augmentation: FRESH,
      };
      const options = {
        model: "cnn" as const,
        name: "cnn-robust" as const,
        recipe,
        dataDir,
        limit: 300,
        backend: "auto" as const,
      };
      const result = await runTrainStage(options);
      assert.equal(result.status, "trained");
      const dir = join(dataDir, "models", "cnn-robust");
      assert.equal(result.dir, dir);
      const manifest = JSON.parse(
        await Deno.readTextFile(join(dir, "manifest.json")),
      );
      assert.equal(manifest.stage, "train:cnn-robust");
      assert.deepEqual(manifest.params.recipe.augmentation, FRESH);
      assert.ok(
        JSON.stringify(manifest.inputs).includes("train-images-idx3-ubyte.gz"),
        "the clean training images are a verified input",
      );
      const metrics = JSON.parse(
        await Deno.readTextFile(join(dir, "metrics.json")),
      );
      assert.equal(metrics.recipeName, "cnn-robust");
      assert.equal(metrics.params, 282_058);
      assert.equal(metrics.epochsRun, 2);
      assert.equal(metrics.counts.train + metrics.counts.validation, 300);
      assert.equal((await runTrainStage(options)).status, "up to date");
      // The study's folder is untouched.
      await assert.rejects(Deno.stat(join(dataDir, "models", "cnn")));
    });
  },
});

Deno.test("every model folder's retrain hint names the command that trains it", () => {
  assert.equal(trainTask("cnn"), "deno task train:cnn");
  assert.equal(trainTask("dense"), "deno task train:dense");
  assert.equal(trainTask("cnn-robust"), "deno task train:cnn --recipe robust");
  assert.equal(
    trainTask("dense-robust"),
    "deno task train:dense --recipe robust",
  );
  assert.equal(trainTask("mine"), "the training stage of models/mine");
  // Object.prototype's names are not recipes.
  assert.equal(trainTask("toString"), "the training stage of models/toString");
});

Deno.test("the robust recipes' mix never draws an MNIST-C corruption", () => {
  const name = RECIPES["cnn-robust"].augmentation?.mix;
  assert.equal(name, RECIPES["dense-robust"].augmentation?.mix);
  const mix = resolveMix(name ?? "none", 28, 28);
  assert.ok(mix, "robust resolves to a corruptor");
  const drawn = new Set<string>();
  for (let index = 0; index < 5000; index++) {
    for (const op of mix.opsFor(42, index % 30, index)) drawn.add(op);
  }
  assert.ok(drawn.size >= 5, `only ${[...drawn].join(", ")} drawn`);
  for (const name of MNIST_C_NAMES) assert.ok(!drawn.has(name), name);
  assert.equal(resolveMix("none", 28, 28), undefined);
});

Deno.test("a training run's identity holds its mix's settings, not only its name", () => {
  const params = (recipe: Recipe) =>
    trainStageParams({ recipe, limit: 100, backend: "cpu" });
  const robust = params(RECIPES["cnn-robust"]);
  assert.deepEqual(robust.mix, MIXES.robust);
  // A retuned robust mix is another run even though the recipe is equal.
  assert.deepEqual(robust.recipe, params(RECIPES["cnn-robust"]).recipe);
  const augmentation = { fresh: true as const, preset: "seed" as const };
  const light = params({
    ...RECIPES["cnn-robust"],
    augmentation: { ...augmentation, mix: "light" },
  });
  assert.deepEqual(light.mix, MIXES.light);
  // No mix, no key: the study's manifests keep their params.
  assert.deepEqual(Object.keys(params(RECIPES.cnn)).sort(), [
    "backend",
    "limit",
    "recipe",
  ]);
  const none = params({
    ...RECIPES["cnn-robust"],
    augmentation: { ...augmentation, mix: "none" },
  });
  assert.equal("mix" in none, false);
});

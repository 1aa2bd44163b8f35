import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import {
  BackendError,
  initBackend,
  parseBackendName,
} from "../lib/kernels/backend.ts";
import { UsageError } from "../lib/core/errors.ts";
import {
  buildCnn,
  buildDense,
  buildModel,
  KERAS_PARAM_COUNTS,
} from "../lib/train/models.ts";
import { loadModel, saveModel } from "../lib/train/model_io.ts";
import { FusedBatchNormalization } from "../lib/kernels/mod.ts";
import { NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

await initBackend("auto");

Deno.test("the models have the original Keras parameter counts", () => {
  const dense = buildDense(1);
  const cnn = buildCnn(1);
  assert.equal(dense.countParams(), KERAS_PARAM_COUNTS.dense);
  assert.equal(dense.countParams(), 235_146);
  assert.equal(cnn.countParams(), 282_058);
  assert.deepEqual(cnn.outputs[0].shape, [null, 10]);
  dense.dispose();
  cnn.dispose();
});

Deno.test("a standardising input layer adds no parameters and computes (x − mean) / std", () => {
  const standardize = { mean: 0.25, std: 0.5 };
  for (const name of ["dense", "cnn"] as const) {
    const model = buildModel(name, 1, standardize);
    assert.equal(model.countParams(), KERAS_PARAM_COUNTS[name]);
    assert.equal(model.layers[0].name, "standardize");
    assert.deepEqual(model.inputs[0].shape, [null, 28, 28, 1]);
    model.dispose();
  }
  const model = buildDense(1, standardize);
  const pixels = [0, 0.25, 0.5, 1];
  const input = tf.tensor4d([...pixels, ...new Array(780).fill(0)], [
    1,
    28,
    28,
    1,
  ]);
  const scaled = model.layers[0].apply(input) as tf.Tensor;
  assert.deepEqual(
    Array.from(scaled.dataSync().subarray(0, 5)),
    [-0.5, 0, 0.5, 1.5, -0.5],
  );
  // The same weights without the layer, fed standardised pixels by hand,
  // give the same output: the layer is exactly that shift and scale.
  const plain = buildDense(1);
  const byHand = input.sub(0.25).div(0.5);
  const a = (model.predict(input) as tf.Tensor).dataSync();
  const b = (plain.predict(byHand) as tf.Tensor).dataSync();
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
  tf.dispose([input, scaled, byHand]);
  model.dispose();
  plain.dispose();
  assert.throws(() => buildCnn(1, { mean: 0.1, std: 0 }), /positive std/);
});

Deno.test("the same seed gives the same initial weights, another seed others", () => {
  const sum = (seed: number) => {
    const model = buildDense(seed);
    const kernel = model.getWeights()[0].dataSync() as Float32Array;
    const total = kernel.reduce((a, b) => a + Math.abs(b), 0);
    model.dispose();
    return total;
  };
  assert.equal(sum(7), sum(7));
  assert.notEqual(sum(7), sum(8));
});

Deno.test(
  "save → load gives identical predictions, in the tfjs layers format",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const standardize = { mean: 0.15, std: 0.26 };
      for (
        const model of [buildDense(3), buildCnn(3), buildCnn(3, standardize)]
      ) {
        const input = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5);
        const before = (model.predict(input) as tf.Tensor).dataSync();
        const folder = `${dir}/${model.name}-${model.layers.length}`;
        await saveModel(model, folder);
        const json = JSON.parse(
          await Deno.readTextFile(`${folder}/model.json`),
        );
        assert.equal(json.format, "layers-model");
        assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
        const bytes = (await Deno.stat(`${folder}/weights.bin`)).size;
        assert.equal(bytes, model.countParams() * 4);
        const loaded = await loadModel(folder);
        assert.deepEqual(
          loaded.layers.map((l) => l.name),
          model.layers.map((l) => l.name),
        );
        const after = (loaded.predict(input) as tf.Tensor).dataSync();
        assert.deepEqual(after, before);
        model.dispose();
        loaded.dispose();
        input.dispose();
      }
    });
  },
);

Deno.test(
  "the CNN's fused BatchNorm saves byte for byte as the stock layer and loads as it",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const model = buildCnn(7, { mean: 0.15, std: 0.26 });
      const norms = model.layers.filter((l) =>
        l.getClassName() === "BatchNormalization"
      );
      assert.equal(norms.length, 2);
      for (const layer of norms) {
        assert.ok(layer instanceof FusedBatchNormalization);
        const stock = tf.layers.batchNormalization({ name: layer.name });
        assert.deepEqual(layer.getConfig(), stock.getConfig());
      }
      // The same network made of stock classes, from the JSON, same weights.
      const twin = await tf.models.modelFromJSON({
        modelTopology: model.toJSON(null, false) as tf.io.ModelJSON[
          "modelTopology"
        ],
      });
      twin.setWeights(model.getWeights());
      assert.ok(
        twin.layers.every((l) => !(l instanceof FusedBatchNormalization)),
      );
      await saveModel(model, `${dir}/fused`);
      await saveModel(twin, `${dir}/stock`);
      for (const file of ["model.json", "weights.bin"]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/fused/${file}`),
          await Deno.readFile(`${dir}/stock/${file}`),
          file,
        );
      }
      const loaded = await loadModel(`${dir}/fused`);
      assert.ok(
        loaded.layers.every((l) => !(l instanceof FusedBatchNormalization)),
      );
      [model, twin, loaded].forEach((m) => m.dispose());
    });
  },
);

Deno.test("an unknown backend is a usage error naming the choices", () => {
  assert.throws(() => parseBackendName("webgpu"), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(
      error.message,
      /--backend: unknown backend "webgpu"; choose wasm, cpu or auto/,
    );
    return true;
  });
  assert.equal(parseBackendName(undefined), "auto");
  assert.equal(parseBackendName("cpu"), "cpu");
});

Deno.test("a backend that does not start fails loudly instead of falling back", async () => {
  // Make "cpu" fail to start, then ask for it by name.
  const active = tf.getBackend();
  tf.removeBackend("cpu");
  tf.registerBackend("cpu", () => {
    throw new Error("simulated start failure");
  });
  try {
    await assert.rejects(initBackend("cpu"), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.match(error.message, /backend "cpu" did not start/);
      return true;
    });
  } finally {
    tf.removeBackend("cpu");
    const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
    tf.registerBackend("cpu", () => new MathBackendCPU(), 1);
    await tf.setBackend(active);
  }
});

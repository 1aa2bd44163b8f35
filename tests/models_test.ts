import assert from "assert";
import { tf } from "../lib/tf.ts";
import { BackendError, initBackend, parseBackendName } from "../lib/backend.ts";
import { UsageError } from "../lib/errors.ts";
import { buildCnn, buildDense, KERAS_PARAM_COUNTS } from "../lib/models.ts";
import { loadModel, saveModel } from "../lib/model_io.ts";
import { withTempDir } from "./helpers.ts";

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

Deno.test("save → load gives identical predictions, in the tfjs layers format", async () => {
  await withTempDir(async (dir) => {
    for (const model of [buildDense(3), buildCnn(3)]) {
      const input = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5);
      const before = (model.predict(input) as tf.Tensor).dataSync();
      await saveModel(model, `${dir}/${model.name}`);
      const json = JSON.parse(
        await Deno.readTextFile(`${dir}/${model.name}/model.json`),
      );
      assert.equal(json.format, "layers-model");
      assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
      const bytes = (await Deno.stat(`${dir}/${model.name}/weights.bin`)).size;
      assert.equal(bytes, model.countParams() * 4);
      const loaded = await loadModel(`${dir}/${model.name}`);
      const after = (loaded.predict(input) as tf.Tensor).dataSync();
      assert.deepEqual(after, before);
      model.dispose();
      loaded.dispose();
      input.dispose();
    }
  });
});

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

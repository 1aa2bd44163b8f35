import assert from "node:assert/strict";
import { initBackend } from "../lib/kernels/backend.ts";
import { buildModel } from "../lib/train/models.ts";
import {
  forwardFlops,
  modelFlops,
  stackFlops,
  weightLayers,
} from "../bench/flops.ts";

await initBackend("cpu");

Deno.test("forward FLOPs per layer type, by hand", () => {
  // 3×3 conv, 2 → 4 channels, 5×5 output: 25 positions × 4 × 9 × 2 MACs.
  assert.equal(
    forwardFlops({
      kind: "conv2d",
      name: "c",
      kernel: [3, 3],
      inChannels: 2,
      output: [5, 5, 4],
    }),
    2 * 25 * 4 * 9 * 2,
  );
  assert.equal(
    forwardFlops({ kind: "dense", name: "d", inputs: 10, units: 7 }),
    140,
  );
});

Deno.test("training is 3× forward, the first layer 2× (no input gradient)", () => {
  const f = stackFlops([
    { kind: "dense", name: "a", inputs: 4, units: 3 },
    { kind: "dense", name: "b", inputs: 3, units: 2 },
  ]);
  assert.deepEqual(f.layers.map((l) => [l.forward, l.training]), [
    [24, 48],
    [12, 36],
  ]);
  assert.equal(f.forward, 36);
  assert.equal(f.training, 84);
});

Deno.test("the study's CNN: conv1 1.56, conv2 17.8, dense 0.41 MFLOP forward, ≈ 58 training", () => {
  const model = buildModel("cnn", 1, { mean: 0.1, std: 0.3 });
  const layers = weightLayers(model);
  assert.deepEqual(layers[0], {
    kind: "conv2d",
    name: layers[0].name,
    kernel: [3, 3],
    inChannels: 1,
    output: [26, 26, 128],
  });
  const f = modelFlops(model);
  assert.deepEqual(f.layers.map((l) => l.forward), [
    1_557_504, // 26·26·128·9·1·2
    17_842_176, // 11·11·64·9·128·2
    409_600, // 1600·128·2
    2_560, // 128·10·2
  ]);
  assert.equal(f.forward, 19_811_840);
  assert.equal(f.training, 3 * 19_811_840 - 1_557_504);
  model.dispose();
});

Deno.test("the study's dense net: 784 → 256 → 128 → 10", () => {
  const model = buildModel("dense", 1);
  const f = modelFlops(model);
  assert.deepEqual(f.layers.map((l) => l.forward), [401_408, 65_536, 2_560]);
  assert.equal(f.training, 3 * 469_504 - 401_408);
  model.dispose();
});

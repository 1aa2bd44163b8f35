import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/errors.ts";
import { KeyedRng } from "../lib/core/rng.ts";
import {
  corruptionByName,
  CORRUPTIONS,
  EXTRA_NAMES,
  IDENTITY,
  MNIST_C_CORRUPTIONS,
  MNIST_C_NAMES,
} from "../lib/robustness/catalogue.ts";
import { STREAM_NAMES } from "../lib/robustness/corrupt.ts";
import { IMAGE_PIXELS } from "../lib/robustness/corruption.ts";

/** MNIST-C's corruptions.py list (identity first), in its order. */
const MNIST_C_ORDER = [
  "identity",
  "shot_noise",
  "impulse_noise",
  "glass_blur",
  "motion_blur",
  "shear",
  "scale",
  "rotate",
  "brightness",
  "translate",
  "stripe",
  "fog",
  "spatter",
  "dotted_line",
  "zigzag",
  "canny_edges",
];

/** Severities MNIST-C published at: corruptions.py's default arguments. */
const PUBLISHED: Record<string, number> = {
  shot_noise: 5,
  impulse_noise: 4,
  glass_blur: 1,
  motion_blur: 1,
  shear: 2,
  scale: 3,
  rotate: 2,
  brightness: 5,
  translate: 3,
  fog: 5,
  spatter: 4,
  // No severity parameter in MNIST-C: every severity is the one version.
  stripe: 1,
  dotted_line: 1,
  zigzag: 1,
};

Deno.test("the catalogue is MNIST-C's fifteen in MNIST-C's order, then the extras", () => {
  assert.deepEqual(
    [IDENTITY, ...MNIST_C_CORRUPTIONS].map((c) => c.name),
    MNIST_C_ORDER,
  );
  assert.deepEqual([...MNIST_C_NAMES], MNIST_C_ORDER.slice(1));
  assert.deepEqual(
    CORRUPTIONS.map((c) => c.name),
    [...MNIST_C_NAMES, ...EXTRA_NAMES],
  );
  assert.deepEqual(
    CORRUPTIONS.map((c) => c.group),
    [...MNIST_C_NAMES.map(() => "mnist-c"), ...EXTRA_NAMES.map(() => "extra")],
  );
});

Deno.test("default severities are the ones MNIST-C published", () => {
  for (const c of CORRUPTIONS) {
    assert.ok([1, 2, 3, 4, 5].includes(c.defaultSeverity), c.name);
    if (c.name in PUBLISHED) {
      assert.equal(c.defaultSeverity, PUBLISHED[c.name], c.name);
    }
    assert.ok(c.reference.length > 0, `${c.name} has no reference`);
  }
});

Deno.test("every corruption has a stream id for corruptSplit", () => {
  for (const c of [IDENTITY, ...CORRUPTIONS]) {
    assert.ok(STREAM_NAMES.includes(c.name), c.name);
  }
});

Deno.test("corruptionByName finds each name and lists them all when it cannot", () => {
  for (const c of [IDENTITY, ...CORRUPTIONS]) {
    assert.equal(corruptionByName(c.name), c);
  }
  assert.throws(
    () => corruptionByName("frost"),
    (e: unknown) =>
      e instanceof ConfigError && !e.message.includes("\n") &&
      e.message.includes('"frost"') &&
      [IDENTITY, ...CORRUPTIONS].every((c) => e.message.includes(c.name)),
  );
});

Deno.test("identity copies the image", () => {
  const img = new Uint8Array(IMAGE_PIXELS);
  for (let p = 0; p < IMAGE_PIXELS; p++) img[p] = (p * 37) % 256;
  const out = new Uint8Array(IMAGE_PIXELS);
  IDENTITY.apply(img, 3, new KeyedRng().reseed(1, 2, 3, 0), out);
  assert.deepEqual(out, img);
});

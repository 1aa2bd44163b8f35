import assert from "node:assert/strict";
import {
  corruptionError,
  meanOf,
  relativeCorruptionError,
} from "../lib/robustness/mod.ts";

Deno.test("corruption error sums over severities before dividing (ImageNet-C)", () => {
  // Sums first: (0.1 + 0.6) / (0.2 + 0.6) = 0.875; a mean of the
  // per-severity ratios would give (0.5 + 1) / 2 = 0.75 instead.
  assert.equal(corruptionError([0.1, 0.6], [0.2, 0.6]), 0.7 / 0.8);
  assert.equal(corruptionError([0.2, 0.2], [0.2, 0.2]), 1);
  assert.throws(
    () => corruptionError([0.1], [0]),
    /reference model makes no errors/,
  );
  assert.throws(() => corruptionError([0.1, 0.2], [0.1]), RangeError);
});

Deno.test("relative corruption error compares the rise above each model's clean error", () => {
  // Model: clean 0.05, corrupted 0.15 and 0.25 → rise 0.30.
  // Reference: clean 0.10, corrupted 0.30 and 0.50 → rise 0.60.
  const rel = relativeCorruptionError([0.15, 0.25], 0.05, [0.3, 0.5], 0.1);
  assert.ok(Math.abs(rel - 0.5) < 1e-12);
  assert.ok(Number.isNaN(relativeCorruptionError([0.2], 0.1, [0.1], 0.1)));
  assert.equal(meanOf([1, 2, 3, 6]), 3);
  assert.throws(() => meanOf([]), RangeError);
});

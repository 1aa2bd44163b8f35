import assert from "node:assert/strict";
import {
  accuracyOf,
  confusionMatrix,
  macroF1,
  perClassMetrics,
} from "../lib/evaluate/metrics.ts";
import { summarizeProbabilities } from "../lib/evaluate/evaluate.ts";

// A hand-made 3-class example:
//   true:      0 0 0 0 1 1 1 2 2 2
//   predicted: 0 0 1 2 1 1 0 2 2 1
const labels = Uint8Array.of(0, 0, 0, 0, 1, 1, 1, 2, 2, 2);
const predicted = Uint8Array.of(0, 0, 1, 2, 1, 1, 0, 2, 2, 1);

Deno.test("the confusion matrix counts true × predicted pairs and sums to N", () => {
  const matrix = confusionMatrix(labels, predicted, 3);
  assert.deepEqual(matrix, [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.equal(matrix.flat().reduce((a, b) => a + b, 0), labels.length);
  assert.equal(accuracyOf(matrix), 6 / 10);
  assert.throws(
    () => confusionMatrix(labels, predicted.subarray(1), 3),
    RangeError,
  );
  assert.throws(() => confusionMatrix([3], [0], 3), RangeError);
});

Deno.test("per-class precision, recall and F1 match a hand computation", () => {
  const perClass = perClassMetrics(confusionMatrix(labels, predicted, 3));
  // Class 0: predicted 3 times (2 right) → P 2/3; 4 true → R 2/4.
  // Class 1: predicted 4 times (2 right) → P 1/2; 3 true → R 2/3.
  // Class 2: predicted 3 times (2 right) → P 2/3; 3 true → R 2/3.
  const expected = [
    { precision: 2 / 3, recall: 1 / 2, support: 4 },
    { precision: 1 / 2, recall: 2 / 3, support: 3 },
    { precision: 2 / 3, recall: 2 / 3, support: 3 },
  ];
  perClass.forEach((m, c) => {
    assert.equal(m.label, c);
    assert.ok(Math.abs(m.precision - expected[c].precision) < 1e-12);
    assert.ok(Math.abs(m.recall - expected[c].recall) < 1e-12);
    const f1 = (2 * expected[c].precision * expected[c].recall) /
      (expected[c].precision + expected[c].recall);
    assert.ok(Math.abs(m.f1 - f1) < 1e-12);
    assert.equal(m.support, expected[c].support);
  });
  assert.ok(Math.abs(macroF1(perClass) - (4 / 7 + 4 / 7 + 2 / 3) / 3) < 1e-12);
});

Deno.test("a class never predicted has precision 0, not NaN", () => {
  const perClass = perClassMetrics(confusionMatrix([0, 1], [0, 0], 2));
  assert.deepEqual(perClass[1], {
    label: 1,
    precision: 0,
    recall: 0,
    f1: 0,
    support: 1,
  });
});

Deno.test("probabilities become predictions, confidences and Keras' clipped loss", () => {
  const probabilities = Float32Array.from([
    ...[0.7, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0],
    ...[0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  ]);
  const summary = summarizeProbabilities(probabilities, [0, 3]);
  assert.deepEqual([...summary.predicted], [0, 9]);
  assert.deepEqual([...summary.confidence], [Math.fround(0.7), 1]);
  assert.equal(summary.accuracy, 0.5);
  const expectedLoss = (-Math.log(Math.fround(0.7)) - Math.log(1e-7)) / 2;
  assert.ok(Math.abs(summary.loss - expectedLoss) < 1e-9);
});

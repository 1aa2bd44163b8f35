/**
 * The end-of-epoch callbacks as pure functions, with hand-worked answers
 * for the CNN recipe's settings (halve after 3 stalled epochs, floor 1e-5,
 * stop after 5, keep the best weights).
 */
import assert from "node:assert/strict";
import {
  afterEpoch,
  type CallbackState,
  cosineRate,
  initialCallbackState,
  reducePlateau,
  trackBest,
} from "../lib/train/callbacks.ts";
import { RECIPES } from "../lib/train/recipes.ts";

const PLATEAU = RECIPES.cnn.reduceLrOnPlateau!;
const EARLY = RECIPES.cnn.earlyStopping!;

Deno.test("the CNN recipe's callback settings are the study's", () => {
  assert.deepEqual(PLATEAU, {
    factor: 0.5,
    patience: 3,
    minLr: 1e-5,
    minDelta: 1e-4,
  });
  assert.deepEqual(EARLY, { patience: 5, restoreBestWeights: true });
});

Deno.test("trackBest: a strictly lower loss is the new best; 5 epochs without one stop", () => {
  const start = { best: null, earlyWait: 0, stopped: false };
  assert.deepEqual(trackBest(start, 1, 0.5, EARLY), {
    best: { valLoss: 0.5, epoch: 1 },
    earlyWait: 0,
    stopped: false,
    improved: true,
  });
  const best = { valLoss: 0.5, epoch: 1 };
  // Equal is no gain (Keras: min_delta 0, strict).
  assert.deepEqual(
    trackBest({ best, earlyWait: 0, stopped: false }, 2, 0.5, EARLY),
    { best, earlyWait: 1, stopped: false, improved: false },
  );
  assert.deepEqual(
    trackBest({ best, earlyWait: 3, stopped: false }, 5, 0.7, EARLY),
    { best, earlyWait: 4, stopped: false, improved: false },
  );
  assert.deepEqual(
    trackBest({ best, earlyWait: 4, stopped: false }, 6, 0.7, EARLY),
    { best, earlyWait: 5, stopped: true, improved: false },
  );
  // Any gain resets the count, however small.
  assert.deepEqual(
    trackBest({ best, earlyWait: 4, stopped: false }, 6, 0.49999, EARLY),
    {
      best: { valLoss: 0.49999, epoch: 6 },
      earlyWait: 0,
      stopped: false,
      improved: true,
    },
  );
  // A NaN loss is never a gain.
  assert.equal(
    trackBest({ best, earlyWait: 0, stopped: false }, 2, NaN, EARLY).improved,
    false,
  );
  // Without early stopping only the best epoch is tracked.
  const state = { best, earlyWait: 0, stopped: false };
  assert.deepEqual(trackBest(state, 9, 0.9, undefined), {
    ...state,
    improved: false,
  });
  assert.deepEqual(state, { best, earlyWait: 0, stopped: false });
});

Deno.test("reducePlateau: halves after 3 epochs without a gain of 1e-4, never below 1e-5", () => {
  const at = (lr: number, best: number, wait: number) => ({
    lr,
    plateau: { best, wait },
  });
  assert.deepEqual(
    reducePlateau(at(1e-3, Infinity, 0), 2.3, PLATEAU),
    at(1e-3, 2.3, 0),
  );
  // A gain smaller than min_delta counts as none.
  assert.deepEqual(
    reducePlateau(at(1e-3, 0.5, 0), 0.49995, PLATEAU),
    at(1e-3, 0.5, 1),
  );
  assert.deepEqual(
    reducePlateau(at(1e-3, 0.5, 1), 0.6, PLATEAU),
    at(1e-3, 0.5, 2),
  );
  assert.deepEqual(
    reducePlateau(at(1e-3, 0.5, 2), 0.6, PLATEAU),
    at(5e-4, 0.5, 0),
  );
  assert.deepEqual(
    reducePlateau(at(5e-4, 0.5, 2), 0.4998, PLATEAU),
    at(5e-4, 0.4998, 0),
  );
  // The floor: 1.5e-5 → 1e-5 (not 7.5e-6), then stays.
  assert.deepEqual(
    reducePlateau(at(1.5e-5, 0.5, 2), 0.6, PLATEAU),
    at(1e-5, 0.5, 0),
  );
  assert.deepEqual(
    reducePlateau(at(1e-5, 0.5, 2), 0.6, PLATEAU),
    at(1e-5, 0.5, 0),
  );
  // No schedule: nothing changes.
  const same = at(1e-3, 0.5, 2);
  assert.equal(reducePlateau(same, 0.6, undefined), same);
});

Deno.test("afterEpoch: a worked run of the CNN recipe's callbacks", () => {
  // Epoch 3 gains 5e-5: a new best for early stopping (min_delta 0) but
  // not for the plateau schedule (min_delta 1e-4).
  const losses = [1.0, 0.8, 0.79995, 0.8, 0.81, 0.9, 0.95, 0.99];
  const expected = [
    // [keepWeights, lr for the next epoch, earlyWait, plateau.wait, stopped]
    [true, 1e-3, 0, 0, false],
    [true, 1e-3, 0, 0, false],
    [true, 1e-3, 0, 1, false],
    [false, 1e-3, 1, 2, false],
    [false, 5e-4, 2, 0, false], // 3 epochs without a 1e-4 gain: halve
    [false, 5e-4, 3, 1, false],
    [false, 5e-4, 4, 2, false],
    [false, 2.5e-4, 5, 0, true], // 5 epochs without a new best: stop
  ];
  let state: CallbackState = initialCallbackState(1e-3);
  losses.forEach((loss, i) => {
    const decision = afterEpoch(state, i + 1, loss, RECIPES.cnn);
    state = decision.state;
    assert.deepEqual(
      [
        decision.keepWeights,
        state.lr,
        state.earlyWait,
        state.plateau.wait,
        state.stopped,
      ],
      expected[i],
      `epoch ${i + 1}`,
    );
  });
  assert.deepEqual(state.best, { valLoss: 0.79995, epoch: 3 });
  assert.equal(state.plateau.best, 0.8);

  // The dense recipe has neither callback: the best epoch is still
  // tracked, no weights are kept, the rate never changes.
  let dense = initialCallbackState(1e-3);
  for (const [i, loss] of [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1].entries()) {
    const decision = afterEpoch(dense, i + 1, loss, RECIPES.dense);
    assert.equal(decision.keepWeights, false);
    dense = decision.state;
  }
  assert.deepEqual(dense, {
    ...initialCallbackState(1e-3),
    best: { valLoss: 0.5, epoch: 1 },
  });
});

Deno.test("cosineRate: full rate first, half way at the middle, minLr one past the end", () => {
  const cos = { minLr: 1e-5 };
  assert.equal(cosineRate(0, 30, 1e-3, cos), 1e-3);
  // (1e-3 + 1e-5) / 2 at epoch 15 of 30; cos(π/2) is 6e-17, not 0.
  assert.ok(Math.abs(cosineRate(15, 30, 1e-3, cos) - 5.05e-4) < 1e-15);
  // Epoch 10 of 30: 1e-5 + 0.99e-3 · (1 + cos(π/3)) / 2 = 1e-5 + 0.7425e-3.
  assert.ok(Math.abs(cosineRate(10, 30, 1e-3, cos) - 7.525e-4) < 1e-15);
  assert.ok(Math.abs(cosineRate(30, 30, 1e-3, cos) - 1e-5) < 1e-18);
  assert.ok(Math.abs(cosineRate(45, 30, 1e-3, cos) - 1e-5) < 1e-18);
});

Deno.test("afterEpoch with the cosine schedule: the rate follows the epoch, not the loss; early stopping still acts", () => {
  const recipe = RECIPES["cnn-robust"];
  assert.equal(recipe.reduceLrOnPlateau, undefined);
  let state = initialCallbackState(recipe.learningRate);
  // Rising losses would make the plateau schedule halve the rate at epoch
  // 3; the cosine one takes it from its curve at every epoch.
  for (const [i, loss] of [0.5, 0.6, 0.7, 0.8].entries()) {
    state = afterEpoch(state, i + 1, loss, recipe).state;
    assert.equal(
      state.lr,
      cosineRate(i + 1, recipe.epochs, recipe.learningRate, { minLr: 1e-5 }),
      `after epoch ${i + 1}`,
    );
  }
  assert.equal(state.plateau.wait, 0);
  assert.equal(state.earlyWait, 3);
  state = afterEpoch(state, 5, 0.9, recipe).state;
  assert.equal(state.stopped, false);
  state = afterEpoch(state, 6, 0.9, recipe).state;
  assert.equal(state.stopped, true);
});

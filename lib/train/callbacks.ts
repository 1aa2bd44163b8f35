/**
 * The end-of-epoch callbacks, as pure functions of (state, validation
 * loss, settings) → new state: Keras' best-epoch tracking with early
 * stopping (`min_delta` 0), reduce-LR-on-plateau and the cosine schedule.
 * Nothing here touches a model or an optimizer; the loop applies the
 * decisions (copy the best weights, set the new rate). Their state is
 * saved in each checkpoint.
 *
 * @module
 */

import type {
  CosineDecay,
  EarlyStopping,
  Recipe,
  ReduceLrOnPlateau,
} from "./recipes.ts";

/** What the callbacks carry from one epoch to the next. */
export interface CallbackState {
  /** Learning rate for the next epoch. */
  lr: number;
  /** Lowest validation loss so far and its 1-based epoch. */
  best: { valLoss: number; epoch: number } | null;
  /** Reduce-LR-on-plateau: its reference loss and epochs without gain. */
  plateau: { best: number; wait: number };
  /** Early stopping: epochs since the best one. */
  earlyWait: number;
  /** True once early stopping has ended training. */
  stopped: boolean;
}

/** The callbacks' state before the first epoch. */
export function initialCallbackState(learningRate: number): CallbackState {
  return {
    lr: learningRate,
    best: null,
    plateau: { best: Infinity, wait: 0 },
    earlyWait: 0,
    stopped: false,
  };
}

/** The part of {@link CallbackState} early stopping reads and writes. */
export type EarlyStoppingState = Pick<
  CallbackState,
  "best" | "earlyWait" | "stopped"
>;

/**
 * Track the best epoch and count epochs without a lower validation loss
 * (Keras' `EarlyStopping`, `min_delta` 0); `stopped` turns true after
 * `settings.patience` of them. Without `settings` only the best epoch is
 * tracked. `improved` says this epoch is the new best.
 *
 * ```ts
 * const s = { best: { valLoss: 0.5, epoch: 1 }, earlyWait: 4, stopped: false };
 * trackBest(s, 6, 0.6, { patience: 5, restoreBestWeights: true });
 * // → { best: { valLoss: 0.5, epoch: 1 }, earlyWait: 5, stopped: true, improved: false }
 * ```
 */
export function trackBest(
  state: EarlyStoppingState,
  epoch: number,
  valLoss: number,
  settings: EarlyStopping | undefined,
): EarlyStoppingState & { improved: boolean } {
  if (state.best === null || valLoss < state.best.valLoss) {
    return {
      best: { valLoss, epoch },
      earlyWait: 0,
      stopped: state.stopped,
      improved: true,
    };
  }
  const { best, earlyWait, stopped } = state;
  if (!settings) return { best, earlyWait, stopped, improved: false };
  return {
    best,
    earlyWait: earlyWait + 1,
    stopped: stopped || earlyWait + 1 >= settings.patience,
    improved: false,
  };
}

/** The part of {@link CallbackState} reduce-LR-on-plateau reads and writes. */
export type PlateauState = Pick<CallbackState, "lr" | "plateau">;

/**
 * Keras' `ReduceLROnPlateau`: a validation loss below the reference by
 * more than `minDelta` becomes the new reference; after `patience` epochs
 * without one the rate is multiplied by `factor` (never below `minLr`) and
 * the count starts again. Without `settings` the state is returned as is.
 *
 * ```ts
 * const s = { lr: 1e-3, plateau: { best: 0.5, wait: 2 } };
 * reducePlateau(s, 0.6, { factor: 0.5, patience: 3, minLr: 1e-5, minDelta: 1e-4 });
 * // → { lr: 5e-4, plateau: { best: 0.5, wait: 0 } }
 * ```
 */
export function reducePlateau(
  state: PlateauState,
  valLoss: number,
  settings: ReduceLrOnPlateau | undefined,
): PlateauState {
  if (!settings) return state;
  if (valLoss < state.plateau.best - settings.minDelta) {
    return { lr: state.lr, plateau: { best: valLoss, wait: 0 } };
  }
  const wait = state.plateau.wait + 1;
  if (wait < settings.patience) {
    return { lr: state.lr, plateau: { best: state.plateau.best, wait } };
  }
  const lr = state.lr > settings.minLr
    ? Math.max(state.lr * settings.factor, settings.minLr)
    : state.lr;
  return { lr, plateau: { best: state.plateau.best, wait: 0 } };
}

/**
 * The cosine schedule's rate for epoch `epoch` (0-based) of `epochs`,
 * starting from `learningRate`: a half cosine from `learningRate` at
 * epoch 0 towards `settings.minLr` (reached at epoch `epochs`, one past the
 * last).
 *
 * ```ts
 * cosineRate(0, 30, 1e-3, { minLr: 1e-5 }); // 1e-3
 * cosineRate(15, 30, 1e-3, { minLr: 1e-5 }); // 5.05e-4, half way
 * ```
 */
export function cosineRate(
  epoch: number,
  epochs: number,
  learningRate: number,
  settings: CosineDecay,
): number {
  const progress = Math.min(epoch / epochs, 1);
  return settings.minLr +
    (learningRate - settings.minLr) * (1 + Math.cos(Math.PI * progress)) / 2;
}

/** What the loop does after an epoch: the new state, and whether to copy. */
export interface EpochDecision {
  /** The callbacks' state for the next epoch. */
  state: CallbackState;
  /** True: this epoch is the best so far; keep a copy of its weights. */
  keepWeights: boolean;
}

/**
 * Run the callbacks on epoch `epoch` (1-based) and its validation loss,
 * with the recipe's settings. A cosine schedule sets the next epoch's rate
 * by its index alone (`recipe.epochs` is the run's length, so `--epochs`
 * shortens the whole curve).
 */
export function afterEpoch(
  state: CallbackState,
  epoch: number,
  valLoss: number,
  recipe: Pick<
    Recipe,
    | "earlyStopping"
    | "reduceLrOnPlateau"
    | "cosineDecay"
    | "learningRate"
    | "epochs"
  >,
): EpochDecision {
  const { improved, ...early } = trackBest(
    state,
    epoch,
    valLoss,
    recipe.earlyStopping,
  );
  const { lr, plateau } = reducePlateau(
    state,
    valLoss,
    recipe.reduceLrOnPlateau,
  );
  const next = recipe.cosineDecay
    ? cosineRate(epoch, recipe.epochs, recipe.learningRate, recipe.cosineDecay)
    : lr;
  return {
    state: { ...early, lr: next, plateau },
    keepWeights: improved && recipe.earlyStopping?.restoreBestWeights === true,
  };
}

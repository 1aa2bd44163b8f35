/**
 * The shape of `robustness/results.json`, what the robustness stage writes
 * and the report reads.
 *
 * @module
 */

import type { Severity } from "./corruption.ts";

/** One model on one test set: accuracy, loss and how many images. */
export interface RobustnessCell {
  /** Fraction correct, 0–1. */
  accuracy: number;
  /** Mean categorical cross-entropy. */
  loss: number;
  /** Images evaluated. */
  count: number;
}

/** One model's results over the whole benchmark. */
export interface ModelRobustness {
  /** The model's folder name under `models/` (`dense`, `cnn`, …). */
  model: string;
  /** SHA-256 of the model's `manifest.json` when it was evaluated. */
  manifestSha256: string;
  /** On the uncorrupted clean MNIST test split (the sweep's starting point). */
  clean: RobustnessCell;
  /** On the noisy test split the model was trained alongside. */
  noisy: RobustnessCell;
  /**
   * Per corruption name (MNIST-C's fifteen, then the extras), the cells of
   * severities 1–5 in order.
   */
  corruptions: Record<string, RobustnessCell[]>;
  /** Mean accuracy over MNIST-C's fifteen at their default severities. */
  mnistCAccuracy: number;
  /** Corruption error per MNIST-C corruption, against the reference model. */
  corruptionErrors: Record<string, number>;
  /** Mean corruption error over MNIST-C's fifteen (1 for the reference). */
  mCE: number;
  /** Mean relative corruption error over MNIST-C's fifteen. */
  relativeMCE: number;
}

/** One corruption of the catalogue, as the results describe it. */
export interface CorruptionInfo {
  /** MNIST-C's name. */
  name: string;
  /** `mnist-c` (counts in mCE) or `extra`. */
  group: "mnist-c" | "extra";
  /** The severity MNIST-C published it at. */
  defaultSeverity: Severity;
}

/** The whole of `robustness/results.json`. */
export interface RobustnessResults {
  /** Seed of the corruptions' keyed randomness. */
  seed: number;
  /** Clean test images corrupted per (corruption, severity). */
  images: number;
  /** The model every corruption error is normalised by (`dense`). */
  reference: string;
  /** The corruptions, in the catalogue's order. */
  corruptions: CorruptionInfo[];
  /** Per model, in the order evaluated. */
  models: ModelRobustness[];
}

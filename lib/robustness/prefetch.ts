/**
 * Corrupting splits on a module Worker, so the next corrupted split is
 * generated on another core while the models evaluate the current one.
 * The worker runs the same `corruptSplit` on a copy of the same clean
 * split, so its result is the main thread's, byte for byte.
 *
 * @module
 */

import { NoisyMnistError, WorkerChannel } from "../core/mod.ts";
import type { MnistSplit } from "../data/mod.ts";
import type { Corruption, Severity } from "./corruption.ts";

/** Messages to a corruption worker. */
export type CorruptRequest =
  | { type: "split"; split: MnistSplit }
  | { type: "corrupt"; name: string; severity: Severity; seed: number };

/** Messages from a corruption worker. */
export type CorruptReply =
  | { type: "images"; images: Uint8Array }
  | { type: "error"; message: string };

/** A corruption worker failed. */
export class CorruptionWorkerError extends NoisyMnistError {}

/**
 * One worker corrupting copies of `clean`; requests are answered in
 * order. Terminate it when done.
 */
export class CorruptionWorker {
  readonly #channel = new WorkerChannel<CorruptRequest, CorruptReply>(
    new URL("./worker.ts", import.meta.url),
    "corruption worker",
    CorruptionWorkerError,
  );
  readonly #clean: MnistSplit;

  constructor(clean: MnistSplit) {
    this.#clean = clean;
    const split: MnistSplit = {
      ...clean,
      images: clean.images.slice(),
      labels: clean.labels.slice(),
    };
    this.#channel.tell({ type: "split", split });
  }

  /** `corruptSplit(clean, corruption, severity, seed)`, computed by the worker. */
  async corrupt(
    corruption: Corruption,
    severity: Severity,
    seed: number,
  ): Promise<MnistSplit> {
    const { images } = await this.#channel.request({
      type: "corrupt",
      name: corruption.name,
      severity,
      seed,
    }, "images");
    const { count, rows, cols } = this.#clean;
    return {
      images,
      labels: this.#clean.labels.slice(),
      count,
      rows,
      cols,
    };
  }

  /** Stop the worker. */
  terminate(): void {
    this.#channel.terminate();
  }
}

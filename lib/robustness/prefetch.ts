/**
 * Corrupting splits on a module Worker, so the next corrupted split is
 * generated on another core while the models evaluate the current one.
 * The worker runs the same `corruptSplit` on a copy of the same clean
 * split, so its result is the main thread's, byte for byte.
 *
 * @module
 */

import { NoisyMnistError } from "../core/mod.ts";
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
  readonly #worker = new Worker(new URL("./worker.ts", import.meta.url), {
    type: "module",
  });
  readonly #waiting: ((reply: CorruptReply) => void)[] = [];
  readonly #clean: MnistSplit;
  #failure: string | undefined;

  constructor(clean: MnistSplit) {
    this.#clean = clean;
    this.#worker.onmessage = (event: MessageEvent<CorruptReply>) => {
      this.#waiting.shift()?.(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#failure = event.message;
      for (const resolve of this.#waiting.splice(0)) {
        resolve({ type: "error", message: event.message });
      }
    };
    const split: MnistSplit = {
      ...clean,
      images: clean.images.slice(),
      labels: clean.labels.slice(),
    };
    this.#worker.postMessage({ type: "split", split } satisfies CorruptRequest);
  }

  /** `corruptSplit(clean, corruption, severity, seed)`, computed by the worker. */
  async corrupt(
    corruption: Corruption,
    severity: Severity,
    seed: number,
  ): Promise<MnistSplit> {
    const reply = this.#failure
      ? { type: "error" as const, message: this.#failure }
      : await new Promise<CorruptReply>((resolve) => {
        this.#waiting.push(resolve);
        const request: CorruptRequest = {
          type: "corrupt",
          name: corruption.name,
          severity,
          seed,
        };
        this.#worker.postMessage(request);
      });
    if (reply.type === "error") {
      throw new CorruptionWorkerError(
        `corruption worker failed: ${reply.message.split("\n")[0]}`,
      );
    }
    const { count, rows, cols } = this.#clean;
    return {
      images: reply.images,
      labels: this.#clean.labels.slice(),
      count,
      rows,
      cols,
    };
  }

  /** Stop the worker. */
  terminate(): void {
    this.#worker.terminate();
  }
}

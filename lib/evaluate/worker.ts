/**
 * Module Worker holding a second copy of a model for `Evaluator`:
 * built from the same checked bytes, on the same backend with the same
 * kernels, it predicts the batches it is sent with the very function the
 * main thread uses, so its probabilities are the ones the main thread
 * would compute.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { tf } from "../core/mod.ts";
import type { MnistSplit } from "../data/mod.ts";
import { initBackend } from "../kernels/mod.ts";
import { predictProbabilities } from "./evaluate.ts";
import { type EvalReply, type EvalRequest, splitRange } from "./evaluator.ts";
import { modelFromFiles } from "./model_files.ts";

let model: tf.LayersModel | undefined;
let split: MnistSplit | undefined;

function reply(message: EvalReply, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}

async function handle(request: EvalRequest): Promise<void> {
  switch (request.type) {
    case "init": {
      const backend = await initBackend(request.backend);
      if (backend.gemm !== request.gemm) {
        throw new Error(
          `the worker's matrix product is ${backend.gemm}, the main thread's ${request.gemm}: their results would differ`,
        );
      }
      model = await modelFromFiles(request);
      reply({ type: "ready" });
      return;
    }
    case "split": {
      const { images, count, rows, cols } = request;
      split = { images, labels: new Uint8Array(count), count, rows, cols };
      return;
    }
    case "predict": {
      if (!model || !split) throw new Error("worker used before init");
      const { start, end } = request;
      const values = predictProbabilities(
        model,
        splitRange(split, start, end),
        undefined,
        end - start,
      );
      reply({ type: "probabilities", values }, [values.buffer as ArrayBuffer]);
      return;
    }
  }
}

// In order: a split arrives before the batches that read it.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<EvalRequest>) => {
  queue = queue.then(() => handle(event.data)).catch((error) => {
    reply({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    });
  });
};

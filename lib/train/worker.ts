/**
 * Module Worker holding one replica for {@link DataParallel}: it computes
 * the gradients of its shard, applies the averaged gradients it is sent,
 * and predicts its share of evaluation batches.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { PREDICT_CHUNK, tf } from "../core/mod.ts";
import { initBackend } from "../kernels/mod.ts";
import { decodeCheckpoint } from "./checkpoint.ts";
import { Replica } from "./replica.ts";
import { keyedUniform } from "./rng.ts";
import type { WorkerReply, WorkerRequest } from "./data_parallel.ts";

let replica: Replica | undefined;
let seed = 0;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}

function need(): Replica {
  if (!replica) throw new Error("worker used before init");
  return replica;
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "init": {
      await initBackend(request.backend);
      replica = new Replica(request.recipe, request.standardize);
      seed = request.recipe.seed;
      const { groups } = decodeCheckpoint(request.state, "replica state");
      await replica.restore({ groups, optimizerNames: request.optimizerNames });
      tf.dispose(Object.values(groups).flat());
      reply({ type: "ready" });
      return;
    }
    case "gradients": {
      const xs = tf.tensor4d(request.pixels, [request.n, 28, 28, 1]);
      const ys = tf.tensor2d(request.oneHot, [request.n, 10]);
      const result = need().shardGradients(
        xs,
        ys,
        keyedUniform(
          seed,
          "dropout",
          request.epoch,
          request.batch,
          request.shard,
        ),
      );
      tf.dispose([xs, ys]);
      reply({ type: "gradients", ...result }, [
        result.gradients.buffer as ArrayBuffer,
        result.statistics.buffer as ArrayBuffer,
      ]);
      return;
    }
    case "apply": {
      const r = need();
      r.setLearningRate(request.learningRate);
      r.applyGradients(request.gradients, request.statistics);
      return;
    }
    case "predict": {
      if (request.n === 0) {
        reply({ type: "predictions", probabilities: new Float32Array(0) });
        return;
      }
      const probabilities = tf.tidy(() =>
        need().model.predict(
          tf.tensor4d(request.pixels, [request.n, 28, 28, 1]),
          { batchSize: Math.min(request.n, PREDICT_CHUNK) },
        ) as tf.Tensor
      );
      const values = (probabilities.dataSync() as Float32Array).slice();
      probabilities.dispose();
      reply({ type: "predictions", probabilities: values }, [values.buffer]);
      return;
    }
  }
}

// Requests are handled strictly in order: a step's "apply" must land
// before the next step's "gradients".
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(event.data)).catch((error) => {
    reply({
      type: "error",
      message: error instanceof Error
        ? error.stack ?? error.message
        : String(error),
    });
  });
};

/**
 * Module Worker for {@link CorruptionWorker}: holds a copy of the clean
 * split and corrupts it on request with the very `corruptSplit` the main
 * thread would use, so its splits are the main thread's, byte for byte.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { MnistSplit } from "../data/mod.ts";
import { corruptionByName } from "./catalogue.ts";
import { corruptSplit } from "./corrupt.ts";
import type { CorruptReply, CorruptRequest } from "./prefetch.ts";

let clean: MnistSplit | undefined;

self.onmessage = (event: MessageEvent<CorruptRequest>) => {
  const request = event.data;
  try {
    if (request.type === "split") {
      clean = request.split;
      return;
    }
    if (!clean) throw new Error("worker used before it was given a split");
    const { images } = corruptSplit(
      clean,
      corruptionByName(request.name),
      request.severity,
      request.seed,
    );
    const reply: CorruptReply = { type: "images", images };
    self.postMessage(reply, [images.buffer as ArrayBuffer]);
  } catch (error) {
    const reply: CorruptReply = {
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    };
    self.postMessage(reply);
  }
};

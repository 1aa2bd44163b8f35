/**
 * Module Worker for {@link FreshEpochs}: it keeps the clean training
 * images it is sent once, and makes each epoch's images on request,
 * transferring them back (the mix is resolved here, by name).
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import {
  freshEpochImages,
  type FreshReply,
  type FreshRequest,
  type FreshSource,
} from "./fresh.ts";

let source: FreshSource | undefined;

self.onmessage = (event: MessageEvent<FreshRequest>) => {
  const request = event.data;
  try {
    if (request.type === "init") {
      source = request.source;
      const reply: FreshReply = { type: "ready" };
      self.postMessage(reply);
      return;
    }
    if (!source) throw new Error("fresh augmentation worker used before init");
    const images = freshEpochImages(source, request.epoch);
    const reply: FreshReply = { type: "images", epoch: request.epoch, images };
    self.postMessage(reply, [images.buffer]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    self.postMessage({ type: "error", message });
  }
};

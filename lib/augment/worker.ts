/**
 * Module Worker that transforms chunks of images for
 * {@link AugmentPool}. It receives a chunk (pixels transferred, not
 * copied), runs {@link augmentImages} on it with the chunk's first index so
 * the result equals the single-threaded one, and transfers the output
 * back.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { augmentImages } from "./augment.ts";
import type { AugmentChunkRequest, AugmentChunkResult } from "./pool.ts";

self.onmessage = (event: MessageEvent<AugmentChunkRequest>) => {
  const request = event.data;
  try {
    const images = augmentImages(request);
    const result: AugmentChunkResult = { id: request.id, images };
    self.postMessage(result, [images.buffer]);
  } catch (error) {
    const message = error instanceof Error
      ? error.stack ?? error.message
      : String(error);
    const result: AugmentChunkResult = { id: request.id, error: message };
    self.postMessage(result);
  }
};

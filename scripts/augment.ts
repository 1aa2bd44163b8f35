/**
 * Stage 2 of the pipeline: transform clean MNIST into the noisy dataset.
 *
 *     deno task augment [--preset seed|none] [--seed N] [--rotation=-30,30]
 *       [--limit N] [--workers N] [--data-dir DIR] [--force]
 *
 * @module
 */

import {
  AUGMENT_SCRIPT,
  augmentConfig,
  resolveDataDir,
  runMain,
} from "../lib/cli/mod.ts";
import { runAugmentStage } from "../lib/augment/mod.ts";
import { KeyedProgress, logLine } from "../lib/core/mod.ts";

runMain(AUGMENT_SCRIPT, async (flags) => {
  const { preset, seed } = flags;
  const bars = new KeyedProgress((split: string, total) => ({
    label: `augment ${split}`,
    total,
    itemName: "img",
  }));
  const result = await runAugmentStage({
    dataDir: resolveDataDir(flags["data-dir"]),
    preset,
    config: augmentConfig(flags),
    seed,
    limit: flags.limit,
    workers: flags.workers,
    force: flags.force,
    onProgress: (split, done, total) => bars.update(split, done, total),
  });
  bars.finish();
  if (result.status === "up to date") {
    logLine(`augment: up to date (${result.outDir})`);
    return;
  }
  const { timings, images } = result;
  const rate = (n: number) => Math.round(n).toLocaleString("en-US");
  logLine(
    `augment: ${images} images (${preset}, seed ${seed}) → ${result.outDir} in ${
      timings.total.toFixed(2)
    } s: transform ${timings.transform.toFixed(2)} s (${
      rate(images / timings.transform)
    } img/s), gzip ${timings.gzip.toFixed(2)} s, load ${
      timings.load.toFixed(2)
    } s, write ${timings.write.toFixed(2)} s (ran because: ${result.reason})`,
  );
});

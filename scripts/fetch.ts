/**
 * Stage 1 of the pipeline: fetch and verify the original MNIST files.
 *
 *     deno task fetch [--source DIR|URL] [--data-dir DIR] [--force]
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  resolveDataDir,
  runMain,
} from "../lib/cli/mod.ts";
import { fetchMnist } from "../lib/data/mod.ts";
import { formatBytes, KeyedProgress, logLine } from "../lib/core/mod.ts";

const info = defineScript({
  usage: "deno task fetch [flags]",
  summary: `
Fetch the four original MNIST files into <data-dir>/mnist/ and verify each
against its pinned SHA-256. Files already present and valid are skipped.
Without --source, the public HTTPS mirrors are tried in order.`,
  flags: {
    source: {
      type: "string",
      valueName: "DIR|URL",
      description:
        "local folder, file:// URL or base URL holding the .gz files (default: $MNIST_SOURCE, else the public mirrors)",
    },
    "data-dir": DATA_DIR_FLAG,
    force: { type: "boolean", description: "fetch again even if up to date" },
  },
});

runMain(info, async (flags) => {
  const dataDir = resolveDataDir(flags["data-dir"]);
  const source = flags.source ?? Deno.env.get("MNIST_SOURCE");
  const started = performance.now();
  const bars = new KeyedProgress((file: string, total) => ({
    label: file,
    total,
    unit: "bytes",
  }));
  const results = await fetchMnist({
    dataDir,
    source,
    force: flags.force,
    onProgress: ({ file, received, total }) =>
      bars.update(file, received, total ?? 0),
    onFile: (result) => {
      bars.finish();
      const how = result.status === "fetched" ? "verified" : "up to date";
      logLine(
        `${result.path}  ${formatBytes(result.bytes)}  sha256 ${
          result.sha256.slice(0, 12)
        }…  ${how}`,
      );
    },
  });
  const fetched = results.filter((r) => r.status === "fetched").length;
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  logLine(
    fetched === 0
      ? `fetch: up to date (${results.length} files verified, ${seconds} s)`
      : `fetch: ${fetched} file(s) fetched and verified, ${
        results.length - fetched
      } up to date (${seconds} s)`,
  );
});

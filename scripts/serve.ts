/**
 * Serve the draw-a-digit web app on this machine, or export it.
 *
 *     deno task serve [--port N] [--host ADDR] [--export DIR]
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  resolveDataDir,
  runMain,
} from "../lib/cli/flags.ts";
import { logLine } from "../lib/core/progress.ts";
import { buildSite, exportSite, serveSite } from "../lib/serve/mod.ts";

const INFO = defineScript({
  usage: "deno task serve [flags]",
  summary: `
A page to draw a digit on (mouse, touch or pen) with every trained
model's probabilities, live, and the 28×28 input they see; "random test
digit" shows one from the noisy test set. The models run in the browser
(TensorFlow.js from the pinned npm package, no CDN, works offline) after
their files are checked against their manifests. Read-only.`,
  flags: {
    "data-dir": DATA_DIR_FLAG,
    port: {
      type: "int",
      min: 0,
      max: 65535,
      default: 8000,
      description: "port (0: any free one)",
    },
    host: {
      type: "string",
      valueName: "ADDR",
      default: "127.0.0.1",
      description: "address to listen on (127.0.0.1: this machine only)",
    },
    export: {
      type: "string",
      valueName: "DIR",
      description: "write the page, models and tfjs as static files instead",
    },
  },
});

runMain(INFO, async (flags) => {
  const site = await buildSite({ dataDir: resolveDataDir(flags["data-dir"]) });
  const models = site.models.map((m) => m.name).join(", ");
  if (flags.export !== undefined) {
    const files = await exportSite(site, flags.export);
    logLine(
      `serve: wrote ${files.length} files (${models}) to ${flags.export}; serve them with any static web server`,
    );
    return 0;
  }
  const server = serveSite(site, { port: flags.port, host: flags.host });
  logLine(`serve: ${models} on ${server.url} (Ctrl-C stops)`);
  await server.finished;
});

/**
 * Everything the web app serves, built once in memory: the page, its
 * style sheet and script, TensorFlow.js and its wasm backend from the
 * pinned npm packages, the preprocessing module, each trained model and
 * the noisy test split. The
 * model and dataset bytes are the ones checked against their stages'
 * manifests; nothing else on disk is ever served.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { MissingInputError, tf } from "../core/mod.ts";
import { NOISY_FILES } from "../data/mod.ts";
import {
  readTrainedModels,
  readVerifiedNoisyTest,
  recordedFiles,
  type VerifiedTestSplit,
} from "../predict/mod.ts";
import type { ModelFiles } from "../evaluate/mod.ts";
import {
  PAGE_CSS,
  PAGE_FILES,
  type PageConfig,
  type PageModel,
  renderPage,
  TFJS_GLOBALS_JS,
  WASM_FILES,
} from "./page.ts";

/** One file the app serves. */
export interface Asset {
  /** Its bytes. */
  body: Uint8Array<ArrayBuffer>;
  /** Its Content-Type. */
  type: string;
}

/** The app: assets by path (`/index.html`, `/models/cnn/weights.bin`…). */
export interface Site {
  /** Every servable file, by absolute URL path. */
  assets: Map<string, Asset>;
  /** What the page was told. */
  config: PageConfig;
  /** The trained models' verified files. */
  models: ModelFiles[];
  /** The noisy test split, when there is one. */
  noisyTest?: VerifiedTestSplit;
}

const TYPES: Record<string, string> = {
  wasm: "application/wasm",
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  bin: "application/octet-stream",
  gz: "application/gzip",
};

function typeOf(path: string): string {
  return TYPES[path.slice(path.lastIndexOf(".") + 1)] ??
    "application/octet-stream";
}

const TITLES: Record<string, string> = {
  dense: "Dense network",
  cnn: "CNN",
};

/**
 * Bundle a TypeScript module for the browser with `deno bundle` (one ES
 * module; type-only imports vanish). Needs `--allow-run`.
 */
export async function bundleForBrowser(entry: URL): Promise<Uint8Array> {
  const config = new URL("../../deno.json", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--config",
      fileURLToPath(config),
      fileURLToPath(entry),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success || output.stdout.length === 0) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `deno bundle ${fileURLToPath(entry)} failed: ${
        stderr.split("\n").slice(0, 5).join(" | ")
      }`,
    );
  }
  return output.stdout;
}

/**
 * A file of a pinned npm package in Deno's npm cache, e.g.
 * `@tensorflow/tfjs/dist/tf.min.js`: the page loads TensorFlow.js from
 * the same package version the project runs, with no CDN.
 */
export async function readPackageFile(specifier: string): Promise<Uint8Array> {
  const url = import.meta.resolve(specifier);
  if (!url.startsWith("file:")) {
    throw new MissingInputError(
      `${specifier} resolves to ${url}, not a file; run \`deno install\``,
    );
  }
  try {
    return await Deno.readFile(fileURLToPath(url));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MissingInputError(
        `${fileURLToPath(url)} is missing; run \`deno install\``,
      );
    }
    throw error;
  }
}

async function noisyAccuracy(
  dataDir: string,
  name: string,
): Promise<number | undefined> {
  const reader = await recordedFiles(
    join(dataDir, "models", name),
    `deno task train:${name}`,
  );
  const bytes = await reader?.read("metrics.json");
  if (!bytes) return undefined;
  const metrics = JSON.parse(new TextDecoder().decode(bytes));
  const accuracy = metrics?.test?.noisy?.accuracy;
  return typeof accuracy === "number" ? accuracy : undefined;
}

/** Options of {@link buildSite}. */
export interface BuildSiteOptions {
  /** Artifact folder (holds `models/` and, optionally, `noisy/`). */
  dataDir: string;
}

/**
 * Build the app from `dataDir`: refuses with a one-line error when no
 * model is trained or a model or dataset file does not match its
 * manifest. Without `noisy/`, "random test digit" is disabled.
 */
export async function buildSite(options: BuildSiteOptions): Promise<Site> {
  const models = await readTrainedModels(options.dataDir);
  const noisyTest = await readVerifiedNoisyTest(options.dataDir);
  const assets = new Map<string, Asset>();
  const add = (path: string, body: Uint8Array | string) =>
    assets.set(path, {
      body: typeof body === "string"
        ? new TextEncoder().encode(body)
        : body.slice(),
      type: typeOf(path),
    });

  const pageModels: PageModel[] = [];
  for (const model of models) {
    for (const [file, bytes] of model.files) {
      add(`/models/${model.name}/${file}`, bytes);
    }
    pageModels.push({
      name: model.name,
      title: TITLES[model.name] ?? model.name,
      accuracy: await noisyAccuracy(options.dataDir, model.name),
    });
  }
  const names = NOISY_FILES.test;
  if (noisyTest) {
    for (const [file, bytes] of noisyTest.files) add(`/noisy/${file}`, bytes);
  }
  const config: PageConfig = {
    models: pageModels,
    tfjs: tf.version.tfjs,
    wasm: true,
    testDigits: noisyTest
      ? {
        images: `noisy/${names.images}`,
        labels: `noisy/${names.labels}`,
        count: noisyTest.split.count,
      }
      : null,
  };
  const [app, preprocess, tfjs, tfjsWasm, ...wasm] = await Promise.all([
    bundleForBrowser(new URL("./client.ts", import.meta.url)),
    bundleForBrowser(new URL("../predict/preprocess.ts", import.meta.url)),
    readPackageFile("@tensorflow/tfjs/dist/tf.min.js"),
    readPackageFile(
      "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    ),
    ...WASM_FILES.map((file) =>
      readPackageFile(`@tensorflow/tfjs-backend-wasm/dist/${file}`)
    ),
  ]);
  add(`/${PAGE_FILES.html}`, renderPage(config));
  add(`/${PAGE_FILES.css}`, PAGE_CSS);
  add(`/${PAGE_FILES.app}`, app);
  add(`/${PAGE_FILES.preprocess}`, preprocess);
  add(`/${PAGE_FILES.tfjs}`, tfjs);
  add(`/${PAGE_FILES.tfjsGlobals}`, TFJS_GLOBALS_JS);
  add(`/${PAGE_FILES.tfjsWasm}`, tfjsWasm);
  WASM_FILES.forEach((file, i) => add(`/${file}`, wasm[i]));
  return { assets, config, models, noisyTest };
}

/**
 * Stage 1: fetch the four original MNIST files into `<data-dir>/mnist/`.
 *
 * Sources are tried in order: an explicit source (a local folder, a
 * `file://` URL or an http(s) base URL), else the public HTTPS mirrors
 * that TensorFlow and torchvision use. Every file is checked against its
 * SHA-256 pinned below before anything is written, and written atomically,
 * so the output folder never holds an unverified file. If any file fails,
 * none is written.
 *
 * @module
 */

import { join } from "node:path";
import {
  ChecksumError,
  exists,
  FetchError,
  sha256File,
  sha256Hex,
  type StageInputFile,
  writeFileAtomic,
} from "../core/mod.ts";
import { MNIST_FILES, type Split } from "./mnist.ts";

/** SHA-256 of the original MNIST files (as published, gzip'd). */
export const MNIST_SHA256: Readonly<Record<string, string>> = {
  [MNIST_FILES.train.images]:
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  [MNIST_FILES.train.labels]:
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  [MNIST_FILES.test.images]:
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  [MNIST_FILES.test.labels]:
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};

/** The four file names, in fetch order. */
export const MNIST_FILE_NAMES: readonly string[] = Object.keys(MNIST_SHA256);

/**
 * The MNIST files of `splits` as inputs of a stage (named `mnist/<file>`,
 * pinned to {@link MNIST_SHA256}): a stage that reads them refuses any
 * other content and names `deno task fetch --force`.
 */
export function mnistStageInputs(
  mnistDir: string,
  splits: readonly Split[],
): StageInputFile[] {
  return splits.flatMap((split) => [
    MNIST_FILES[split].images,
    MNIST_FILES[split].labels,
  ]).map((file) => ({
    name: `mnist/${file}`,
    path: join(mnistDir, file),
    task: "deno task fetch",
    sha256: MNIST_SHA256[file],
  }));
}

/**
 * Public HTTPS mirrors of the original files, tried in order: the one the
 * TensorFlow tutorials use, then torchvision's.
 */
export const MNIST_MIRRORS: readonly string[] = [
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
];

/** Progress of one file's transfer, for a progress bar. */
export interface TransferProgress {
  /** File name, e.g. `train-images-idx3-ubyte.gz`. */
  file: string;
  /** Bytes received so far. */
  received: number;
  /** Total bytes when known (Content-Length or file size). */
  total: number | undefined;
}

/** Options of {@link fetchMnist}. */
export interface FetchOptions {
  /** Folder that receives `mnist/` (default `data`). */
  dataDir?: string;
  /** A local folder, `file://` URL or http(s) base URL; default: mirrors. */
  source?: string;
  /** Mirrors to try when `source` is not set. */
  mirrors?: readonly string[];
  /** Attempts per mirror and file before moving on (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled each retry (default 500). */
  backoffMs?: number;
  /** Re-fetch even files that are present and valid. */
  force?: boolean;
  /** Called as bytes arrive. */
  onProgress?: (progress: TransferProgress) => void;
  /** Called once per file with a one-line status. */
  onFile?: (result: FetchedFile) => void;
}

/** What happened to one file. */
export interface FetchedFile {
  /** File name. */
  file: string;
  /** Where it now is, under `<dataDir>/mnist/`. */
  path: string;
  /** Fetched now, or already present and valid. */
  status: "fetched" | "up to date";
  /** Size in bytes. */
  bytes: number;
  /** Its SHA-256 (always the pinned one). */
  sha256: string;
  /** Where the bytes came from (absent when up to date). */
  from?: string;
  /** Time spent on this file. */
  seconds: number;
}

/** Where to get the files from: a local folder or base URLs. */
type Source = { kind: "folder"; dir: string } | {
  kind: "urls";
  bases: string[];
};

function resolveSource(
  source: string | undefined,
  mirrors: readonly string[],
): Source {
  if (source === undefined || source === "") {
    return { kind: "urls", bases: [...mirrors] };
  }
  if (source.startsWith("file://")) {
    return {
      kind: "folder",
      dir: decodeURIComponent(new URL(source).pathname),
    };
  }
  if (/^https?:\/\//.test(source)) {
    return {
      kind: "urls",
      bases: [source.endsWith("/") ? source : source + "/"],
    };
  }
  return { kind: "folder", dir: source };
}

async function readFromFolder(
  dir: string,
  file: string,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Uint8Array> {
  const path = join(dir, file);
  try {
    const bytes = await Deno.readFile(path);
    onProgress?.({ file, received: bytes.length, total: bytes.length });
    return bytes;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new FetchError(
        `${path} not found; --source/MNIST_SOURCE must be a folder holding the four MNIST .gz files`,
      );
    }
    throw error;
  }
}

async function download(
  url: string,
  file: string,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`);
  }
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    received += chunk.length;
    onProgress?.({ file, received, total });
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function downloadFromMirrors(
  bases: string[],
  file: string,
  options: FetchOptions,
): Promise<{ bytes: Uint8Array; from: string }> {
  const attempts = options.attempts ?? 3;
  const backoff = options.backoffMs ?? 500;
  const failures: string[] = [];
  for (const base of bases) {
    const url = base + file;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return {
          bytes: await download(url, file, options.onProgress),
          from: url,
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(`${url}: ${reason.split("\n")[0]}`);
        if (attempt < attempts) await sleep(backoff * 2 ** (attempt - 1));
      }
    }
  }
  throw new FetchError(
    `could not download ${file} from any mirror (last: ${failures.at(-1)}); ` +
      `download the four MNIST .gz files by hand and pass --source DIR (or set MNIST_SOURCE=DIR)`,
  );
}

/**
 * Fetch the four MNIST files into `<dataDir>/mnist/`, verifying each
 * against {@link MNIST_SHA256}. Files already present and valid are left
 * alone ("up to date"). All new files are verified before any is written;
 * a mismatch raises a {@link ChecksumError} and writes nothing.
 */
export async function fetchMnist(
  options: FetchOptions = {},
): Promise<FetchedFile[]> {
  const outDir = join(options.dataDir ?? "data", "mnist");
  const source = resolveSource(
    options.source,
    options.mirrors ?? MNIST_MIRRORS,
  );
  const results: FetchedFile[] = [];
  const pending: { result: FetchedFile; bytes: Uint8Array }[] = [];

  for (const file of MNIST_FILE_NAMES) {
    const started = performance.now();
    const path = join(outDir, file);
    const expected = MNIST_SHA256[file];
    if (!options.force && await exists(path)) {
      const actual = await sha256File(path);
      if (actual === expected) {
        const bytes = (await Deno.stat(path)).size;
        const result: FetchedFile = {
          file,
          path,
          status: "up to date",
          bytes,
          sha256: actual,
          seconds: (performance.now() - started) / 1000,
        };
        results.push(result);
        options.onFile?.(result);
        continue;
      }
      // A present but wrong file is replaced below, never trusted.
    }
    const { bytes, from } = source.kind === "folder"
      ? {
        bytes: await readFromFolder(source.dir, file, options.onProgress),
        from: join(source.dir, file),
      }
      : await downloadFromMirrors(source.bases, file, options);
    const actual = await sha256Hex(bytes);
    if (actual !== expected) {
      throw new ChecksumError(
        from,
        expected,
        actual,
        "nothing was written; replace the source file with an intact copy",
      );
    }
    const result: FetchedFile = {
      file,
      path,
      status: "fetched",
      bytes: bytes.length,
      sha256: actual,
      from,
      seconds: (performance.now() - started) / 1000,
    };
    pending.push({ result, bytes });
    results.push(result);
  }

  for (const { result, bytes } of pending) {
    await writeFileAtomic(result.path, bytes);
    options.onFile?.(result);
  }
  return results;
}

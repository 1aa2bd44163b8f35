/**
 * Small file-system helpers: atomic writes, existence checks, and
 * operating-system errors as one line naming the path.
 *
 * An artifact is written to a temporary name in its own folder and then
 * renamed over the final name. A rename within one folder is atomic on
 * POSIX file systems, so a later stage sees either the old file or the new
 * one, never half of one, even if the writer is killed mid-way.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { FileSystemError, NoisyMnistError } from "./errors.ts";

/** What an OS error code means for the path it names, in a few words. */
const OS_PROBLEMS: Record<string, string> = {
  ENOENT: "does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "is a file, not a folder",
  EEXIST: "already exists",
  ENOTEMPTY: "is a folder that is not empty",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EROFS: "read-only file system",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  ENAMETOOLONG: "name too long",
  ELOOP: "too many levels of symbolic links",
  EIO: "input/output error",
  EBUSY: "busy",
};

/** The path in a Deno OS error (`… (os error 21): open '/x'`). */
function pathInMessage(message: string): string | undefined {
  const match = /\(os error \d+\): \w+ '(.*)'$/s.exec(message);
  return match?.[1].split("' -> '")[0];
}

/**
 * For "not a folder": the file on the way to `path` (the `--data-dir`
 * that is a file, say), else `path` itself.
 */
function fileInTheWay(path: string): string {
  const chain: string[] = [];
  for (let p = path; !chain.includes(p); p = dirname(p)) chain.unshift(p);
  for (const prefix of chain) {
    try {
      if (!Deno.statSync(prefix).isDirectory) return prefix;
    } catch {
      break;
    }
  }
  return path;
}

/**
 * `error` as one line for the user when it is an operating-system error
 * about a file (Deno.errors.NotFound, PermissionDenied, IsADirectory,
 * NotADirectory, AlreadyExists, ENOSPC, EROFS… by their error code), or a
 * missing `--allow-*` permission: a {@link FileSystemError} naming `path`
 * (default: the path in the error) and the problem. `undefined` for any
 * other error, which stays a bug with its stack trace.
 */
export function fileSystemError(
  error: unknown,
  path?: string,
): NoisyMnistError | undefined {
  if (!(error instanceof Error) || error instanceof NoisyMnistError) {
    return undefined;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new NoisyMnistError(error.message.split("\n")[0], {
      cause: error,
    });
  }
  const code = (error as { code?: unknown }).code;
  const osError = /\(os error \d+\)/.exec(error.message);
  if (typeof code !== "string" || (!OS_PROBLEMS[code] && !osError)) {
    return undefined;
  }
  const problem = OS_PROBLEMS[code] ??
    error.message.slice(0, osError!.index).trim().toLowerCase();
  // Node's fs errors (from npm packages) carry the path as a property.
  const nodePath = (error as { path?: unknown }).path;
  let where = path ??
    (typeof nodePath === "string" ? nodePath : pathInMessage(error.message));
  if (where !== undefined && code === "ENOTDIR") where = fileInTheWay(where);
  return new FileSystemError(where, problem, { cause: error });
}

/** A unique temporary path beside `path` (same folder, hidden name). */
export function tempPathFor(path: string): string {
  const nonce = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return join(dirname(path), `.${basename(path)}.${Deno.pid}.${nonce}.tmp`);
}

/**
 * Write `data` to `path` atomically (temp file + fsync + rename). On any
 * failure the temporary file is removed and `path` is as it was; an OS
 * error (a full or read-only disk, a folder named `path`) is thrown as a
 * {@link FileSystemError} naming `path`.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const tmp = tempPathFor(path);
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw fileSystemError(error, path) ?? error;
  }
}

/** Write JSON (two-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Read and parse a JSON file; `undefined` if it does not exist. */
export async function readJsonIfExists<T>(
  path: string,
): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

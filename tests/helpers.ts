/**
 * Shared test helpers: where the real MNIST files are, and temp folders.
 *
 * @module
 */

import { join } from "node:path";
import { MNIST_FILES } from "../lib/data/mnist.ts";

function hasMnist(dir: string): boolean {
  try {
    return Deno.statSync(join(dir, MNIST_FILES.train.images)).isFile;
  } catch {
    return false;
  }
}

/** What deno.json's permission set grants the tests (`deno test -P`). */
const TEST_PERMISSIONS = [
  "read",
  "write",
  "env",
  "net",
  "ffi",
  "sys",
  "run",
] as const;

/**
 * True under `deno test -P`. Under plain `deno test` (no permissions) the
 * tests that read files, the environment, run processes or use FFI pass
 * {@link NEEDS_PERMISSIONS} and show as ignored; the rest still run.
 */
export const PERMITTED: boolean = TEST_PERMISSIONS.every((name) =>
  Deno.permissions.querySync({ name }).state === "granted"
);

/** Test options for a test that needs deno.json's permissions. */
export const NEEDS_PERMISSIONS = { ignore: !PERMITTED } as const;

if (!PERMITTED) {
  console.warn(
    "tests that use files, the environment, subprocesses or FFI are ignored: run `deno test -P` for the whole suite",
  );
}

/**
 * The folder holding the real MNIST `.gz` files: `MNIST_SOURCE`, else
 * `data/mnist/`; `undefined` when neither has them. Tests that need real
 * data pass `ignore: MNIST_DIR === undefined` so they show as ignored.
 */
export const MNIST_DIR: string | undefined = (() => {
  if (!PERMITTED) return undefined;
  const fromEnv = Deno.env.get("MNIST_SOURCE");
  if (fromEnv && hasMnist(fromEnv)) return fromEnv;
  if (hasMnist(join("data", "mnist"))) return join("data", "mnist");
  return undefined;
})();

/** Run `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "noisy-mnist-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Names of the files in a folder, sorted (hidden temp files included). */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The permissions the pipeline's tasks grant their scripts. */
export const TASK_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

/** What a script run as a subprocess printed, decoded. */
export interface ScriptOutput {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Run `scripts/<script>.ts` as a user would, in a subprocess with
 * `permissions` (default: the tasks' read/write/env), colours off.
 */
export async function runScript(
  script: string,
  args: readonly string[],
  permissions: readonly string[] = TASK_PERMISSIONS,
): Promise<ScriptOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, `scripts/${script}.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

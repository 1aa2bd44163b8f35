/**
 * The scripts' shared command-line plumbing: declarative flags with
 * `--help`, validated numeric values, and a `main` wrapper that turns a
 * {@link NoisyMnistError} into one line on stderr and a meaningful exit
 * code (1 failure, 2 usage, 130 interrupted).
 *
 * @module
 */

import { parseArgs } from "cli";
import { NoisyMnistError, UsageError } from "../core/mod.ts";

/** One command-line flag. */
export interface FlagSpec {
  /** `boolean` flags take no value. */
  type: "string" | "boolean";
  /** One-line description for `--help`. */
  description: string;
  /** Default shown in `--help` and used when the flag is absent. */
  default?: string | boolean;
  /** Placeholder for the value in `--help`, e.g. `DIR`. */
  valueName?: string;
}

/** Flags by long name (without the leading dashes). */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed flag values by long name. */
export type FlagValues = Record<string, string | boolean | undefined>;

/** Description of a script for `--help`. */
export interface ScriptInfo {
  /** e.g. `deno task fetch [flags]`. */
  usage: string;
  /** What the script does, a few lines. */
  summary: string;
  /** Its flags (`--help` is added). */
  flags: FlagSpecs;
}

/** The `--data-dir` flag every script shares; env `NOISY_MNIST_DATA_DIR`. */
export const DATA_DIR_FLAG: FlagSpec = {
  type: "string",
  valueName: "DIR",
  description: "artifact folder (default: $NOISY_MNIST_DATA_DIR, else ./data)",
};

/** The data folder: flag, else `NOISY_MNIST_DATA_DIR`, else `data`. */
export function resolveDataDir(flag: string | boolean | undefined): string {
  if (typeof flag === "string" && flag !== "") return flag;
  return Deno.env.get("NOISY_MNIST_DATA_DIR") || "data";
}

/** Render `--help` text for a script. */
export function helpText(info: ScriptInfo): string {
  const flags: FlagSpecs = {
    ...info.flags,
    help: { type: "boolean", description: "show this help and exit" },
  };
  const rows = Object.entries(flags).map(([name, spec]) => {
    const value = spec.type === "string" ? ` ${spec.valueName ?? "VALUE"}` : "";
    const def = spec.default !== undefined && spec.type === "string"
      ? ` (default: ${spec.default})`
      : "";
    return [`  --${name}${value}`, `${spec.description}${def}`];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: ${info.usage}`,
    "",
    info.summary.trim(),
    "",
    "Flags:",
    ...rows.map(([flag, text]) => flag.padEnd(width) + text),
  ].join("\n");
}

/**
 * `--rotation -30,30` → `--rotation=-30,30` for string flags followed by a
 * negative number: node's parseArgs rejects a value that starts with a
 * dash as ambiguous, but negative angles, shifts and ranges are common.
 */
function joinNegativeValues(args: string[], flags: FlagSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : "";
    const next = args[i + 1];
    if (
      flags[name]?.type === "string" && next !== undefined &&
      /^-[\d.]/.test(next)
    ) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/**
 * Parse `args` against `info.flags`. Unknown flags, missing values and
 * stray positionals raise {@link UsageError}. Returns `undefined` after
 * printing help when `--help` was given.
 */
export function parseFlags(
  args: string[],
  info: ScriptInfo,
): FlagValues | undefined {
  const options: Record<
    string,
    { type: "string" | "boolean"; default?: string | boolean }
  > = { help: { type: "boolean" } };
  for (const [name, spec] of Object.entries(info.flags)) {
    options[name] = { type: spec.type };
    if (spec.default !== undefined) options[name].default = spec.default;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, info.flags),
      options,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.split("\n")[0]} (see --help)`);
  }
  if (parsed.values.help) {
    console.log(helpText(info));
    return undefined;
  }
  return parsed.values;
}

/** Options for {@link numberFlag}. */
export interface NumberFlagOptions {
  /** Accept only integers. */
  integer?: boolean;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
}

/**
 * Read a numeric flag, or `undefined` when absent. A value that is not a
 * number or is out of range raises a {@link UsageError} naming the flag.
 */
export function numberFlag(
  values: FlagValues,
  name: string,
  options: NumberFlagOptions = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined || raw === false) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  const kind = options.integer ? "an integer" : "a number";
  if (text === "" || !Number.isFinite(value)) {
    throw new UsageError(`--${name}: expected ${kind}, got "${raw}"`);
  }
  if (options.integer && !Number.isInteger(value)) {
    throw new UsageError(`--${name}: expected ${kind}, got "${raw}"`);
  }
  if (options.min !== undefined && value < options.min) {
    throw new UsageError(`--${name}: must be ≥ ${options.min}, got ${value}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw new UsageError(`--${name}: must be ≤ ${options.max}, got ${value}`);
  }
  return value;
}

/** Read a string flag, or `undefined` when absent. */
export function stringFlag(
  values: FlagValues,
  name: string,
): string | undefined {
  const raw = values[name];
  return typeof raw === "string" ? raw : undefined;
}

/**
 * Read a flag whose value must be one of `choices`, or `undefined` when
 * absent; anything else raises a {@link UsageError} listing the choices.
 */
export function choiceFlag<T extends string>(
  values: FlagValues,
  name: string,
  choices: readonly T[],
): T | undefined {
  const text = stringFlag(values, name);
  return text === undefined ? undefined : checkChoice(name, text, choices);
}

/**
 * `value` if it is one of `choices`, else a {@link UsageError} naming the
 * flag `--name` that sets it and listing the choices.
 */
export function checkChoice<T extends string>(
  name: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      `--${name}: unknown value "${value}" (expected one of: ${
        choices.join(", ")
      })`,
    );
  }
  return value as T;
}

/**
 * Run a script's `main`, mapping errors to exit codes: a
 * {@link NoisyMnistError} prints `error: <message>` (one line) and exits with
 * its code; anything else is a bug and keeps its stack trace. `main` may
 * return an exit code.
 */
export async function runMain(
  main: (args: string[]) => Promise<number | void>,
): Promise<never> {
  try {
    const code = await main(Deno.args);
    Deno.exit(code ?? 0);
  } catch (error) {
    if (error instanceof NoisyMnistError) {
      console.error(`error: ${error.message}`);
      Deno.exit(error.exitCode);
    }
    console.error(error);
    Deno.exit(1);
  }
}

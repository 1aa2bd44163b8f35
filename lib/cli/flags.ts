/**
 * The scripts' shared command-line plumbing: typed flag specs (type,
 * range, choices, default, description) parsed into a typed object,
 * `--help` generated from the specs, and a `runMain` wrapper that turns a
 * {@link NoisyMnistError} or an OS error about a file into one line on
 * stderr and a meaningful exit code (1 failure, 2 usage, 130 interrupted).
 *
 * ```ts
 * import { defineScript, parseFlags } from "./flags.ts";
 *
 * const info = defineScript({
 *   usage: "deno run demo.ts [flags]",
 *   summary: "A demo.",
 *   flags: {
 *     epochs: { type: "int", min: 1, default: 30, description: "epochs" },
 *     inputs: {
 *       type: "choice",
 *       choices: ["unit", "standardized"],
 *       description: "input scale",
 *     },
 *   },
 * });
 * const flags = parseFlags(["--epochs", "3"], info);
 * flags?.epochs; // 3 (number)
 * flags?.inputs; // undefined ("unit" | "standardized" | undefined)
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  ConfigError,
  fileSystemError,
  NoisyMnistError,
  UsageError,
} from "../core/mod.ts";

/** What every flag spec has. */
interface FlagBase {
  /** One-line description for `--help`. */
  description: string;
  /** Placeholder for the value in `--help`, e.g. `DIR`. */
  valueName?: string;
  /**
   * The configuration field this flag sets, when it differs from the flag
   * name: a {@link ConfigError} naming the field is shown as naming the
   * flag (`--salt-pepper: …` for field `saltPepper`).
   */
  field?: string;
}

/** A decimal integer, optionally within `[min, max]`. */
export interface IntFlag extends FlagBase {
  /** Decimal digits only (no `0x10`, `1e3` or `2.0`). */
  type: "int";
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Value when the flag is absent. */
  default?: number;
}

/** A decimal number (`0.5`, `1e-3`), optionally within `[min, max]`. */
export interface NumberFlag extends FlagBase {
  /** Decimal or exponent notation (no hex, no `Infinity`). */
  type: "number";
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Value when the flag is absent. */
  default?: number;
}

/** Any text. */
export interface StringFlag extends FlagBase {
  /** Taken as given. */
  type: "string";
  /** Value when the flag is absent. */
  default?: string;
}

/** Text that may be given several times: every value, in order. */
export interface StringListFlag extends FlagBase {
  /** `--test a --test b` gives `["a", "b"]`; absent gives `[]`. */
  type: "strings";
}

/** A switch: `true` when given, else `false`. */
export interface BooleanFlag extends FlagBase {
  /** Takes no value. */
  type: "boolean";
}

/** One of a fixed list of words. */
export interface ChoiceFlag<T extends string = string> extends FlagBase {
  /** The value must be one of {@link ChoiceFlag.choices}. */
  type: "choice";
  /** The allowed values. */
  choices: readonly T[];
  /** Value when the flag is absent. */
  default?: T;
  /** What a value is called in errors (`unknown preset "x"`); `value`. */
  noun?: string;
}

/** One command-line flag. */
export type FlagSpec =
  | IntFlag
  | NumberFlag
  | StringFlag
  | StringListFlag
  | BooleanFlag
  | ChoiceFlag;

/** Flags by long name (without the leading dashes). */
export type FlagSpecs = Record<string, FlagSpec>;

/** The parsed value of one flag, before its default is considered. */
export type FlagValue<F extends FlagSpec> = F extends BooleanFlag ? boolean
  : F extends StringListFlag ? string[]
  : F extends { choices: readonly (infer T)[] } ? T
  : F extends IntFlag | NumberFlag ? number
  : string;

/**
 * Parsed flags by long name: booleans and lists are always set (a list
 * to `[]` when absent), a flag with a default is always set, any other
 * is `undefined` when absent.
 */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends BooleanFlag ? boolean
    : S[K] extends StringListFlag ? string[]
    : S[K] extends { default: unknown } ? FlagValue<S[K]>
    : FlagValue<S[K]> | undefined;
};

/** The positional arguments a script takes (e.g. input files). */
export interface PositionalSpec {
  /** Placeholder in `--help`, e.g. `FILE`. */
  name: string;
  /** One-line description for `--help`. */
  description: string;
  /** Fewest arguments allowed (default 0). */
  min?: number;
}

/** Description of a script for `--help`. */
export interface ScriptInfo<S extends FlagSpecs = FlagSpecs> {
  /** e.g. `deno task fetch [flags]`. */
  usage: string;
  /** What the script does, a few lines. */
  summary: string;
  /** Its flags (`--help` is added). */
  flags: S;
  /**
   * Positional arguments it takes; without this, any positional argument
   * is a usage error.
   */
  positionals?: PositionalSpec;
}

/**
 * `info` as given, typed precisely: literal choices stay literal, so the
 * parsed flags are typed `"unit" | "standardized"`, not `string`.
 */
export function defineScript<const S extends FlagSpecs>(
  info: ScriptInfo<S>,
): ScriptInfo<S> {
  return info;
}

/**
 * The environment variable naming the data folder when `--data-dir` is
 * absent. `deno task` passes it to every task of a chain (flags reach only
 * the last one), so lib/cli/task.ts turns `--data-dir` into it.
 */
export const DATA_DIR_ENV = "NOISY_MNIST_DATA_DIR";

/** The `--data-dir` flag every script shares; env {@link DATA_DIR_ENV}. */
export const DATA_DIR_FLAG: StringFlag = {
  type: "string",
  valueName: "DIR",
  description: "artifact folder (default: $NOISY_MNIST_DATA_DIR, else ./data)",
};

/** The data folder: flag, else `NOISY_MNIST_DATA_DIR`, else `data`. */
export function resolveDataDir(flag: string | undefined): string {
  if (flag !== undefined && flag !== "") return flag;
  return Deno.env.get(DATA_DIR_ENV) || "data";
}

/**
 * The largest seed any script accepts, 2^31 − 1: the training seed feeds
 * tfjs initialisers as `seed · 1000 + layer`, which must stay an exact
 * integer, and one range for every script keeps seeds interchangeable.
 */
export const MAX_SEED = 2 ** 31 - 1;

/** A `--seed` flag: a decimal integer in [0, {@link MAX_SEED}]. */
export function seedFlag(
  seed: number,
  description: string,
): IntFlag & { default: number } {
  return {
    type: "int",
    valueName: "N",
    min: 0,
    max: MAX_SEED,
    default: seed,
    description,
  };
}

function valueName(spec: FlagSpec): string {
  if (spec.valueName) return spec.valueName;
  return spec.type === "int" ? "N" : spec.type === "number" ? "X" : "VALUE";
}

/** `integer ≥ 1`, `number in [0, 1]`, `one of: a, b`; `""` if no limit. */
function limitsText(spec: FlagSpec): string {
  if (spec.type === "choice") return `one of: ${spec.choices.join(", ")}`;
  if (spec.type === "strings") return "repeatable";
  if (spec.type !== "int" && spec.type !== "number") return "";
  const kind = spec.type === "int" ? "integer" : "number";
  if (spec.min !== undefined && spec.max !== undefined) {
    return `${kind} in [${spec.min}, ${spec.max}]`;
  }
  if (spec.min !== undefined) return `${kind} ≥ ${spec.min}`;
  if (spec.max !== undefined) return `${kind} ≤ ${spec.max}`;
  return spec.type === "int" ? kind : "";
}

/** Render `--help` text for a script: every flag with range and default. */
export function helpText(info: ScriptInfo): string {
  const flags: FlagSpecs = {
    ...info.flags,
    help: { type: "boolean", description: "show this help and exit" },
  };
  const rows = Object.entries(flags).map(([name, spec]) => {
    const value = spec.type === "boolean" ? "" : ` ${valueName(spec)}`;
    const notes = [limitsText(spec)];
    if (
      spec.type !== "boolean" && spec.type !== "strings" &&
      spec.default !== undefined
    ) {
      notes.push(`default: ${spec.default}`);
    }
    const note = notes.filter(Boolean).join("; ");
    return [`  --${name}${value}`, spec.description + (note && ` (${note})`)];
  });
  const positional = info.positionals;
  const argument = positional && [
    `  ${positional.name}...`,
    positional.description +
    (positional.min ? ` (at least ${positional.min})` : ""),
  ];
  const all = argument ? [argument, ...rows] : rows;
  const width = Math.max(...all.map(([flag]) => flag.length)) + 2;
  const argumentLines = argument
    ? ["Arguments:", argument[0].padEnd(width) + argument[1], ""]
    : [];
  return [
    `Usage: ${info.usage}`,
    "",
    info.summary.trim(),
    "",
    ...argumentLines,
    "Flags:",
    ...rows.map(([flag, text]) => flag.padEnd(width) + text),
  ].join("\n");
}

/**
 * `--rotation -30,30` → `--rotation=-30,30` for flags with a value followed
 * by a negative number: node's parseArgs rejects a value that starts with
 * a dash as ambiguous, but negative angles, shifts and ranges are common.
 */
function joinNegativeValues(args: string[], flags: FlagSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : "";
    const next = args[i + 1];
    const type = Object.hasOwn(flags, name) ? flags[name].type : undefined;
    if (
      type !== undefined && type !== "boolean" && next !== undefined &&
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

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function checkRange(name: string, value: number, spec: IntFlag | NumberFlag) {
  if (spec.min !== undefined && value < spec.min) {
    throw new UsageError(`--${name}: must be ≥ ${spec.min}, got ${value}`);
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new UsageError(`--${name}: must be ≤ ${spec.max}, got ${value}`);
  }
}

/**
 * One flag's text as its typed value; anything else is a one-line
 * {@link UsageError} naming the flag.
 */
export function flagValue(name: string, spec: FlagSpec, raw: string): unknown {
  const text = raw.trim();
  switch (spec.type) {
    case "int": {
      const value = Number(text);
      if (!INTEGER.test(text)) {
        throw new UsageError(`--${name}: expected an integer, got "${raw}"`);
      }
      if (!Number.isSafeInteger(value)) {
        throw new UsageError(`--${name}: ${text} is out of range`);
      }
      checkRange(name, value, spec);
      return value;
    }
    case "number": {
      const value = Number(text);
      if (!DECIMAL.test(text) || !Number.isFinite(value)) {
        throw new UsageError(`--${name}: expected a number, got "${raw}"`);
      }
      checkRange(name, value, spec);
      return value;
    }
    case "choice":
      if (!spec.choices.includes(raw)) {
        throw new UsageError(
          `--${name}: unknown ${
            spec.noun ?? "value"
          } "${raw}" (expected one of: ${spec.choices.join(", ")})`,
        );
      }
      return raw;
    default:
      return raw;
  }
}

/**
 * Parse `args` against `info.flags` into typed values. Unknown flags,
 * missing values, stray positionals and values of the wrong type or out
 * of range raise a one-line {@link UsageError} naming the flag. Returns
 * `undefined` after printing help when `--help` was given.
 */
export function parseFlags<const S extends FlagSpecs>(
  args: string[],
  info: ScriptInfo<S>,
): FlagValues<S> | undefined {
  return parseCommandLine(args, info)?.flags;
}

/** A parsed command line: typed flags and positional arguments. */
export interface CommandLine<S extends FlagSpecs> {
  /** The flags, as {@link parseFlags} returns them. */
  flags: FlagValues<S>;
  /** Positional arguments in order (empty unless `info.positionals`). */
  positionals: string[];
}

/**
 * {@link parseFlags}, plus the positional arguments `info.positionals`
 * allows (after `--`, arguments starting with a dash count too); fewer
 * than its `min` is a {@link UsageError}.
 */
export function parseCommandLine<const S extends FlagSpecs>(
  args: string[],
  info: ScriptInfo<S>,
): CommandLine<S> | undefined {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean }
  > = {
    help: { type: "boolean" },
  };
  for (const [name, spec] of Object.entries(info.flags)) {
    options[name] = {
      type: spec.type === "boolean" ? "boolean" : "string",
      multiple: spec.type === "strings",
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, info.flags),
      options,
      strict: true,
      allowPositionals: info.positionals !== undefined,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.split("\n")[0]} (see --help)`);
  }
  if (parsed.values.help) {
    console.log(helpText(info));
    return undefined;
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(info.flags)) {
    const raw = parsed.values[name];
    if (spec.type === "boolean") values[name] = raw === true;
    else if (spec.type === "strings") {
      values[name] = Array.isArray(raw) ? raw : [];
    } else if (typeof raw === "string") {
      values[name] = flagValue(name, spec, raw);
    } else values[name] = spec.default;
  }
  const positionals = parsed.positionals;
  const min = info.positionals?.min ?? 0;
  if (positionals.length < min) {
    throw new UsageError(
      `expected at least ${min} ${info.positionals!.name} argument${
        min === 1 ? "" : "s"
      } (see --help)`,
    );
  }
  return { flags: values as FlagValues<S>, positionals };
}

/**
 * `error` as the user should see it: a {@link ConfigError} about a field
 * that one of `flags` sets becomes a {@link UsageError} naming that flag
 * (`--salt-pepper: must be ≤ 1, got 1.5`); anything else is unchanged.
 */
export function withFlagName(error: unknown, flags: FlagSpecs): unknown {
  if (!(error instanceof ConfigError)) return error;
  for (const [name, spec] of Object.entries(flags)) {
    if ((spec.field ?? name) === error.field) {
      return new UsageError(`--${name}: ${error.detail}`, { cause: error });
    }
  }
  return error;
}

/**
 * Run a script: parse `Deno.args` against `info` (`--help` prints help and
 * exits 0), then `main` with the typed flags, mapping errors to exit
 * codes: a {@link NoisyMnistError} prints `error: <message>` (one line,
 * configuration fields shown as their flags) and exits with its code; so
 * does an operating-system error about a file (`error: <path>: is a
 * folder, not a file`, `…: no space left on device`, exit 1, see
 * `fileSystemError`); anything else is a bug and keeps its stack trace. `main` may return an
 * exit code; it also gets the positional arguments, when `info` takes any.
 */
export async function runMain<const S extends FlagSpecs>(
  info: ScriptInfo<S>,
  main: (
    flags: FlagValues<S>,
    positionals: string[],
  ) => Promise<number | void>,
): Promise<never> {
  try {
    const line = parseCommandLine(Deno.args, info);
    const code = line ? await main(line.flags, line.positionals) : 0;
    Deno.exit(code ?? 0);
  } catch (caught) {
    const error = withFlagName(caught, info.flags);
    const known = error instanceof NoisyMnistError
      ? error
      : fileSystemError(error);
    if (known) {
      console.error(`error: ${known.message}`);
      Deno.exit(known.exitCode);
    }
    console.error(error);
    Deno.exit(1);
  }
}

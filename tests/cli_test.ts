import assert from "node:assert/strict";
import { NEEDS_PERMISSIONS } from "./helpers.ts";
import { join, relative } from "node:path";
import {
  AUGMENT_SCRIPT,
  augmentConfig,
  defineScript,
  helpText,
  MAX_SEED,
  parseFlags,
  type ScriptInfo,
  seedFlag,
  trainScript,
  withFlagName,
} from "../lib/cli/mod.ts";
import { ConfigError, UsageError } from "../lib/core/mod.ts";
import { PRESETS, validateAugmentConfig } from "../lib/augment/mod.ts";

const INFO = defineScript({
  usage: "test [flags]",
  summary: "A test script.",
  flags: {
    epochs: { type: "int", min: 1, default: 30, description: "epochs" },
    limit: { type: "int", min: 10, description: "first N images" },
    lr: { type: "number", min: 1e-9, max: 10, description: "rate" },
    shift: { type: "string", valueName: "V|LO,HI", description: "shift" },
    inputs: {
      type: "choice",
      choices: ["unit", "standardized"],
      default: "standardized",
      description: "input scale",
    },
    preset: {
      type: "choice",
      choices: ["seed", "none"],
      noun: "preset",
      description: "preset",
    },
    "salt-pepper": {
      type: "number",
      field: "saltPepper",
      description: "salt-and-pepper probability",
    },
    seed: seedFlag(42, "seed"),
    force: { type: "boolean", description: "force" },
  },
});

const parse = (...args: string[]) => parseFlags(args, INFO)!;

/** The one-line usage error `args` raise. */
function usageError(...args: string[]): string {
  try {
    parse(...args);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    assert.ok(!error.message.includes("\n"), error.message);
    return error.message;
  }
  assert.fail(`${args.join(" ")} was accepted`);
}

Deno.test("flags parse to typed values; defaults fill in, others stay undefined", () => {
  const flags = parse("--limit", "2000", "--lr", "1e-3", "--inputs", "unit");
  const epochs: number = flags.epochs;
  const inputs: "unit" | "standardized" = flags.inputs;
  const preset: "seed" | "none" | undefined = flags.preset;
  assert.deepEqual(
    { epochs, inputs, preset, limit: flags.limit, lr: flags.lr },
    { epochs: 30, inputs: "unit", preset: undefined, limit: 2000, lr: 1e-3 },
  );
  assert.equal(flags.force, false);
  assert.equal(flags.shift, undefined);
  assert.equal(parse("--force").force, true);
  assert.equal(parse("--seed", "7").seed, 7);
  assert.equal(parse().seed, 42);
});

Deno.test("integer flags take decimal digits only", () => {
  assert.equal(parse("--epochs", "12").epochs, 12);
  for (const text of ["0x10", "1e3", "2.0", "2.5", "abc", "", "Infinity"]) {
    assert.equal(
      usageError("--epochs", text),
      `--epochs: expected an integer, got "${text}"`,
    );
  }
  assert.match(usageError("--seed", "0x10"), /^--seed: expected an integer/);
});

Deno.test("number flags take decimal and exponent notation, not hex", () => {
  assert.equal(parse("--lr", "0.5").lr, 0.5);
  assert.equal(parse("--lr", ".5").lr, 0.5);
  assert.equal(parse("--lr", "5e-4").lr, 5e-4);
  for (const text of ["0x10", "abc", "1,2", "Infinity", "1e999"]) {
    assert.equal(
      usageError("--lr", text),
      `--lr: expected a number, got "${text}"`,
    );
  }
});

Deno.test("values out of range name the flag and the limit", () => {
  assert.equal(usageError("--epochs", "0"), "--epochs: must be ≥ 1, got 0");
  assert.equal(usageError("--limit", "9"), "--limit: must be ≥ 10, got 9");
  assert.equal(usageError("--lr", "11"), "--lr: must be ≤ 10, got 11");
  // A negative value after a space is a value, not a flag.
  assert.equal(usageError("--lr", "-1"), "--lr: must be ≥ 1e-9, got -1");
  assert.equal(usageError("--seed", "-1"), "--seed: must be ≥ 0, got -1");
  assert.equal(
    usageError("--seed", String(MAX_SEED + 1)),
    `--seed: must be ≤ ${MAX_SEED}, got ${MAX_SEED + 1}`,
  );
  assert.equal(parse("--seed", String(MAX_SEED)).seed, 2 ** 31 - 1);
  assert.equal(parse("--shift", "-30,30").shift, "-30,30");
});

Deno.test("choice flags list the choices; a noun names what was unknown", () => {
  assert.equal(
    usageError("--inputs", "raw"),
    '--inputs: unknown value "raw" (expected one of: unit, standardized)',
  );
  assert.equal(
    usageError("--preset", "keras2"),
    '--preset: unknown preset "keras2" (expected one of: seed, none)',
  );
});

Deno.test("unknown flags, missing values and positionals are one-line usage errors", () => {
  assert.match(usageError("--no-such-flag"), /no-such-flag.*\(see --help\)$/);
  assert.match(usageError("--epochs"), /epochs.*\(see --help\)$/);
  assert.match(usageError("extra"), /extra.*\(see --help\)$/);
  assert.match(usageError("--force=yes"), /force.*\(see --help\)$/);
});

Deno.test("--help shows each flag's type, range, choices and default", () => {
  const help = helpText(INFO);
  const line = (flag: string) =>
    help.split("\n").find((l) => l.trimStart().startsWith(`--${flag} `))!;
  assert.match(
    line("epochs"),
    /--epochs N +epochs \(integer ≥ 1; default: 30\)/,
  );
  assert.match(line("lr"), /--lr X +rate \(number in \[1e-9, 10\]\)$/);
  assert.match(line("seed"), /integer in \[0, 2147483647\]; default: 42\)$/);
  assert.match(
    line("inputs"),
    /\(one of: unit, standardized; default: standardized\)$/,
  );
  assert.match(line("shift"), /--shift V\|LO,HI +shift$/);
  assert.match(line("force"), /--force +force$/);
  assert.match(help, /--help +show this help and exit/);
});

Deno.test("a configuration error about a field is shown as the flag that sets it", () => {
  const mapped = withFlagName(
    new ConfigError("saltPepper", "must be ≤ 1, got 1.5"),
    INFO.flags,
  );
  assert.ok(mapped instanceof UsageError);
  assert.equal(mapped.message, "--salt-pepper: must be ≤ 1, got 1.5");
  const byName = withFlagName(new ConfigError("lr", "too high"), INFO.flags);
  assert.equal((byName as Error).message, "--lr: too high");
  const unknown = new ConfigError("other", "bad");
  assert.equal(withFlagName(unknown, INFO.flags), unknown);
  assert.equal(unknown.message, "other: bad");
});

Deno.test("augment config errors name the config field, not a flag", () => {
  assert.throws(
    () => validateAugmentConfig({ ...PRESETS.seed, saltPepper: 1.5 }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.field, "saltPepper");
      assert.equal(error.message, "saltPepper: must be ≤ 1, got 1.5");
      return true;
    },
  );
  assert.throws(
    () => validateAugmentConfig({ ...PRESETS.seed, fill: "mirror" as "wrap" }),
    /^ConfigError: fill: unknown value "mirror"/,
  );
});

Deno.test("the augment flags map config fields back to their flags", () => {
  const flags = AUGMENT_SCRIPT.flags;
  const shown = (error: ConfigError) =>
    (withFlagName(error, flags) as Error).message;
  assert.equal(shown(new ConfigError("zoomY", "bad")), "--zoom: bad");
  assert.equal(shown(new ConfigError("zoomX", "bad")), "--zoom-x: bad");
  assert.equal(shown(new ConfigError("fillValue", "x")), "--fill-value: x");
  assert.equal(
    shown(new ConfigError("brightnessMode", "x")),
    "--brightness-mode: x",
  );
  const parsed = parseFlags(["--zoom-x", "1,2,3"], AUGMENT_SCRIPT)!;
  assert.throws(() => augmentConfig(parsed), (error: unknown) => {
    assert.match(
      (withFlagName(error, flags) as Error).message,
      /^--zoom-x: expected a number or a range LO,HI, got "1,2,3"$/,
    );
    return true;
  });
  const config = augmentConfig(
    parseFlags(["--preset", "none", "--translate-x=-0.1,0.1"], AUGMENT_SCRIPT)!,
  );
  assert.deepEqual(config, { ...PRESETS.none, translateX: [-0.1, 0.1] });
});

Deno.test(
  "nothing under lib/ but lib/cli/ imports the command line",
  NEEDS_PERMISSIONS,
  async () => {
    const lib = join(import.meta.dirname!, "..", "lib");
    const offenders: string[] = [];
    async function scan(dir: string): Promise<void> {
      for await (const entry of Deno.readDir(dir)) {
        const path = join(dir, entry.name);
        if (entry.isDirectory && path !== join(lib, "cli")) await scan(path);
        if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
        const text = await Deno.readTextFile(path);
        if (/from\s+"(node:util|\.\.\/cli\/[^"]*)"/.test(text)) {
          offenders.push(relative(lib, path));
        }
      }
    }
    await scan(lib);
    assert.deepEqual(offenders, []);
  },
);

Deno.test("every script takes the same seeds: decimal integers in [0, 2^31 − 1]", () => {
  const scripts: Record<string, ScriptInfo> = {
    augment: AUGMENT_SCRIPT,
    "train:dense": trainScript("dense"),
    "train:cnn": trainScript("cnn"),
  };
  for (const [name, script] of Object.entries(scripts)) {
    const seed = (...args: string[]) => parseFlags(args, script)!.seed;
    assert.equal(seed(), 42, name);
    assert.equal(seed("--seed", "2147483647"), MAX_SEED, name);
    for (const bad of ["2147483648", "0x10", "-1", "1e3"]) {
      assert.throws(() => seed("--seed", bad), /^UsageError: --seed: /, name);
    }
  }
});

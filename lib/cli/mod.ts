/**
 * The command-line layer: declarative flags (`--help`, typed values,
 * one-line usage errors with exit code 2) and the command lines the scripts
 * share. The only folder under `lib/` that parses flags; everything else
 * takes typed options.
 *
 * @module
 */

export * from "./flags.ts";
export * from "./train.ts";

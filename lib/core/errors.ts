/**
 * Typed errors shared by every stage.
 *
 * Every error a user can cause (a bad file, a bad flag, a missing input)
 * is a {@link NoisyMnistError} whose message is one line naming the file or
 * flag and what to do. Scripts print that line without a stack trace and
 * exit with {@link NoisyMnistError.exitCode}: 1 for failures, 2 for usage.
 *
 * @module
 */

/** Base class of every error this toolkit raises on purpose. */
export class NoisyMnistError extends Error {
  /** Process exit code a script should use for this error. */
  readonly exitCode: number = 1;
  /** An error with a one-line `message` naming the file or flag. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad command-line flag or flag value (exit code 2). */
export class UsageError extends NoisyMnistError {
  /** Usage errors exit with 2. */
  override readonly exitCode = 2;
}

/**
 * A configuration value outside its allowed set. The message names the
 * *field* (`saltPepper: must be ≤ 1, got 1.5`), not a flag: the library
 * does not know the command line; the CLI maps {@link ConfigError.field}
 * to the flag that sets it. A usage error (exit code 2).
 */
export class ConfigError extends UsageError {
  /** `field: detail`, one line. */
  constructor(
    /** The configuration field, e.g. `saltPepper`. */
    readonly field: string,
    /** What is wrong, e.g. `must be ≤ 1, got 1.5`. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** What exactly is wrong with an IDX file. */
export type IdxErrorKind =
  | "magic"
  | "dtype"
  | "truncated"
  | "trailing"
  | "gzip";

/** An IDX file that cannot be decoded; `kind` says why. */
export class IdxFormatError extends NoisyMnistError {
  /** `file: detail`, one line. */
  constructor(
    /** The file (or a label for in-memory bytes) that failed to decode. */
    readonly file: string,
    /** Which check failed. */
    readonly kind: IdxErrorKind,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** A file whose SHA-256 is not the pinned one. */
export class ChecksumError extends NoisyMnistError {
  /** Names the file, both hashes and (optionally) what to do. */
  constructor(
    /** The file or URL whose bytes were hashed. */
    readonly file: string,
    /** The pinned SHA-256. */
    readonly expected: string,
    /** The SHA-256 of the bytes received. */
    readonly actual: string,
    hint = "",
  ) {
    super(
      `${file}: SHA-256 mismatch (expected ${expected}, got ${actual})` +
        (hint ? `; ${hint}` : ""),
    );
  }
}

/** A dataset whose contents break an invariant (counts, label range…). */
export class DataError extends NoisyMnistError {}

/** An input a stage needs is missing; the message names the task to run. */
export class MissingInputError extends NoisyMnistError {}

/** A download that failed on every mirror. */
export class FetchError extends NoisyMnistError {}

/** A stage folder in use by another running process (its lock is live). */
export class LockedError extends NoisyMnistError {}

/**
 * An operating-system error on a file or folder (a folder where a file
 * should be, a read-only or full disk…): `path: problem`, one line.
 */
export class FileSystemError extends NoisyMnistError {
  /** `path: problem`, or `problem` when the path is unknown. */
  constructor(
    /** The file or folder, when known. */
    readonly path: string | undefined,
    /** What is wrong, e.g. `no space left on device`. */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(path ? `${path}: ${problem}` : problem, options);
  }
}

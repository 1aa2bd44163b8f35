/**
 * NumPy's `.npy` format, read and written: how the published MNIST-C
 * distributes its test sets (`test_images.npy`, uint8 of shape
 * (N, 28, 28, 1), and `test_labels.npy`), and how corrupted sets are
 * exported.
 *
 * A file is the magic `\x93NUMPY`, a major and a minor version byte, the
 * header's length (little-endian uint16 in v1.0, uint32 in v2.0 and v3.0),
 * then the header: a Python dict literal such as
 * `{'descr': '|u1', 'fortran_order': False, 'shape': (3, 28, 28, 1), }`,
 * padded with spaces and ending in a newline so that the data starts at a
 * multiple of 64 bytes (16 in files of old NumPy versions); Latin-1 in
 * v1.0/2.0, UTF-8 in v3.0. The data follows, C order unless
 * `fortran_order` is true.
 *
 * Reading is strict: what this reader cannot represent faithfully (Fortran
 * order, object or structured dtypes, which NumPy pickles, big-endian
 * multi-byte values, float16) and what is broken (truncated or trailing
 * data, a malformed header) raise a one-line {@link NpyFormatError} naming
 * the file.
 *
 * @module
 */

import { DataError, writeFileAtomic } from "../core/mod.ts";

/** The element types this module reads (NumPy's names). */
export type NpyDtype =
  | "bool"
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "uint64"
  | "int64"
  | "float32"
  | "float64";

/** The typed array that holds each dtype's values. */
export interface NpyDataByDtype {
  /** `|b1`: 0 or 1 per element. */
  bool: Uint8Array;
  /** `|u1`. */
  uint8: Uint8Array;
  /** `|i1`. */
  int8: Int8Array;
  /** `<u2`. */
  uint16: Uint16Array;
  /** `<i2`. */
  int16: Int16Array;
  /** `<u4`. */
  uint32: Uint32Array;
  /** `<i4`. */
  int32: Int32Array;
  /** `<u8`. */
  uint64: BigUint64Array;
  /** `<i8`. */
  int64: BigInt64Array;
  /** `<f4`. */
  float32: Float32Array;
  /** `<f8`. */
  float64: Float64Array;
}

/** A decoded `.npy` array: dtype, shape (C order) and values. */
export type NpyArray = {
  [D in NpyDtype]: { dtype: D; shape: number[]; data: NpyDataByDtype[D] };
}[NpyDtype];

/** What exactly is wrong with a `.npy` file. */
export type NpyErrorKind =
  | "magic"
  | "version"
  | "header"
  | "dtype"
  | "fortran"
  | "truncated"
  | "trailing"
  | "shape";

/** A `.npy` file this module cannot read; `kind` says why. */
export class NpyFormatError extends DataError {
  /** `file: detail`, one line. */
  constructor(
    /** The file (or a label for in-memory bytes). */
    readonly file: string,
    /** Which check failed. */
    readonly kind: NpyErrorKind,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Kind letter and byte width of each dtype (`<u2` = `u`, 2). */
const DTYPES: Record<NpyDtype, { kind: string; bytes: number }> = {
  bool: { kind: "b", bytes: 1 },
  uint8: { kind: "u", bytes: 1 },
  int8: { kind: "i", bytes: 1 },
  uint16: { kind: "u", bytes: 2 },
  int16: { kind: "i", bytes: 2 },
  uint32: { kind: "u", bytes: 4 },
  int32: { kind: "i", bytes: 4 },
  uint64: { kind: "u", bytes: 8 },
  int64: { kind: "i", bytes: 8 },
  float32: { kind: "f", bytes: 4 },
  float64: { kind: "f", bytes: 8 },
};

const DTYPE_BY_CODE = new Map<string, NpyDtype>(
  (Object.entries(DTYPES) as [NpyDtype, { kind: string; bytes: number }][])
    .map(([name, { kind, bytes }]) => [`${kind}${bytes}`, name]),
);

/** True for the integer dtypes (bool excluded). */
export function isIntegerDtype(dtype: NpyDtype): boolean {
  return DTYPES[dtype].kind === "i" || DTYPES[dtype].kind === "u";
}

/** NumPy's `descr` of a dtype as NumPy writes it: `|u1`, `<i8`, `<f4`. */
export function npyDescr(dtype: NpyDtype): string {
  const { kind, bytes } = DTYPES[dtype];
  return `${bytes === 1 ? "|" : "<"}${kind}${bytes}`;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A value of the header's Python literal subset. */
type PyValue = string | number | boolean | null | PyValue[] | PyDict;
interface PyDict {
  [key: string]: PyValue;
}

/**
 * Parse the Python literal NumPy writes as the header: a dict of strings,
 * booleans, integers and tuples. Anything else throws a message.
 */
function parsePyLiteral(text: string): PyValue {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${at} of the header`);
  };
  const space = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const value = (): PyValue => {
    space();
    const c = text[at];
    if (c === "{") return sequence("}", true) as PyDict;
    if (c === "(" || c === "[") return sequence(c === "(" ? ")" : "]", false);
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) fail("unterminated string");
      const s = text.slice(at + 1, end);
      if (s.includes("\\")) fail("escaped string");
      at = end + 1;
      return s;
    }
    const word = /^[A-Za-z_]\w*|^[+-]?\d+L?/.exec(text.slice(at))?.[0];
    if (word === undefined) return fail(`unexpected "${c ?? "end"}"`);
    at += word.length;
    if (word === "True") return true;
    if (word === "False") return false;
    if (word === "None") return null;
    if (/^[+-]?\d+L?$/.test(word)) return Number(word.replace("L", ""));
    return fail(`unexpected name ${word}`);
  };
  const sequence = (close: string, dict: boolean): PyValue[] | PyDict => {
    at++; // the opening bracket
    const items: PyValue[] = [];
    const entries: PyDict = {};
    for (;;) {
      space();
      if (text[at] === close) break;
      const item = value();
      if (dict) {
        if (typeof item !== "string") fail("a non-string dict key");
        space();
        if (text[at] !== ":") fail('expected ":"');
        at++;
        if (Object.hasOwn(entries, item as string)) {
          fail(`duplicate key ${item}`);
        }
        entries[item as string] = value();
      } else items.push(item);
      space();
      if (text[at] === ",") at++;
      else if (text[at] !== close) fail(`expected "," or "${close}"`);
    }
    at++; // the closing bracket
    return dict ? entries : items;
  };
  const result = value();
  space();
  if (at !== text.length) fail("text after the dict");
  return result;
}

/** Element count of a shape (1 for rank 0). */
function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parse and check the header dict; returns the dtype and shape. */
function parseHeader(
  text: string,
  file: string,
): { dtype: NpyDtype; shape: number[] } {
  let header: PyValue;
  try {
    header = parsePyLiteral(text.trimEnd());
  } catch (error) {
    throw new NpyFormatError(
      file,
      "header",
      `malformed .npy header: ${(error as Error).message}`,
    );
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new NpyFormatError(file, "header", ".npy header is not a dict");
  }
  const keys = Object.keys(header).sort().join(", ");
  if (keys !== "descr, fortran_order, shape") {
    throw new NpyFormatError(
      file,
      "header",
      `.npy header has keys {${keys}}, expected descr, fortran_order, shape`,
    );
  }
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== "string") {
    throw new NpyFormatError(
      file,
      "dtype",
      "structured (record) dtypes are not supported; save a plain array",
    );
  }
  if (typeof fortran !== "boolean") {
    throw new NpyFormatError(file, "header", "fortran_order is not a bool");
  }
  if (fortran) {
    throw new NpyFormatError(
      file,
      "fortran",
      "Fortran-order arrays are not supported; save with np.ascontiguousarray",
    );
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((d) =>
      typeof d === "number" && Number.isSafeInteger(d) && d >= 0
    )
  ) {
    throw new NpyFormatError(
      file,
      "header",
      `shape ${JSON.stringify(shape)} is not a tuple of sizes`,
    );
  }
  return { dtype: parseDescr(descr, file), shape: shape as number[] };
}

function parseDescr(descr: string, file: string): NpyDtype {
  const match = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const [, order, kind, width] = match ?? [];
  if (match && (kind === "O" || kind === "V")) {
    throw new NpyFormatError(
      file,
      "dtype",
      `dtype '${descr}' holds Python objects (pickled); save numbers instead`,
    );
  }
  const dtype = match ? DTYPE_BY_CODE.get(`${kind}${width}`) : undefined;
  if (dtype === undefined) {
    throw new NpyFormatError(
      file,
      "dtype",
      `unsupported dtype '${descr}' (supported: bool, int8–64, uint8–64, float32, float64)`,
    );
  }
  if (order === ">" && DTYPES[dtype].bytes > 1) {
    throw new NpyFormatError(
      file,
      "dtype",
      `big-endian dtype '${descr}' is not supported; save with .astype('${
        npyDescr(dtype)
      }')`,
    );
  }
  return dtype;
}

/** Decode `.npy` bytes. `file` names them in errors. */
export function decodeNpy(bytes: Uint8Array, file = "<bytes>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError(
      file,
      bytes.length < 10 &&
        MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b)
        ? "truncated"
        : "magic",
      bytes.length < 10
        ? `not a .npy file (${bytes.length} bytes, too short for the \\x93NUMPY preamble)`
        : "not a .npy file (no \\x93NUMPY magic)",
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new NpyFormatError(
      file,
      "version",
      `unsupported .npy format version ${major}.${minor} (readable: 1.0, 2.0, 3.0)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) {
    throw new NpyFormatError(file, "truncated", "truncated .npy preamble");
  }
  const headerLength = major === 1
    ? view.getUint16(8, true)
    : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) {
    throw new NpyFormatError(
      file,
      "truncated",
      `truncated .npy header (${
        bytes.length - 8 - lengthBytes
      } bytes, the preamble promises ${headerLength})`,
    );
  }
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(8 + lengthBytes, dataStart),
  );
  const { dtype, shape } = parseHeader(text, file);
  const width = DTYPES[dtype].bytes;
  const expected = shapeSize(shape) * width;
  const actual = bytes.length - dataStart;
  if (actual < expected) {
    throw new NpyFormatError(
      file,
      "truncated",
      `truncated data: shape (${shape.join(", ")}) of ${
        npyDescr(dtype)
      } needs ${expected} bytes, the file has ${actual}`,
    );
  }
  if (actual > expected) {
    throw new NpyFormatError(
      file,
      "trailing",
      `${actual - expected} bytes after the ${expected}-byte data`,
    );
  }
  // Copy into a fresh, aligned buffer (also unpins the file's bytes).
  const raw = bytes.slice(dataStart, dataStart + expected).buffer;
  return { dtype, shape, data: typedArray(dtype, raw) } as NpyArray;
}

function typedArray(dtype: NpyDtype, buffer: ArrayBuffer) {
  // Typed arrays use the platform's byte order; every platform Deno runs on
  // is little-endian, as are the dtypes accepted above.
  switch (dtype) {
    case "bool":
    case "uint8":
      return new Uint8Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "uint16":
      return new Uint16Array(buffer);
    case "int16":
      return new Int16Array(buffer);
    case "uint32":
      return new Uint32Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "uint64":
      return new BigUint64Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
  }
}

/** Read a `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await Deno.readFile(path), path);
}

/**
 * The header text NumPy writes for an array: the dict with keys in
 * sorted order, then spaces and a newline up to a multiple of 64 bytes
 * (counting the preamble). Like NumPy it reserves room to grow the first
 * dimension in place.
 */
function headerText(dtype: NpyDtype, shape: readonly number[], major: number) {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${
    npyDescr(dtype)
  }', 'fortran_order': False, 'shape': ${tuple}, }`;
  // NumPy ≥ 1.24 leaves room for the first dimension to grow to 21 digits.
  if (shape.length > 0) dict += " ".repeat(21 - String(shape[0]).length);
  const preamble = 8 + (major === 1 ? 2 : 4);
  // As NumPy: 1 to 64 spaces (64, not 0, when already aligned).
  const pad = 64 - ((preamble + dict.length + 1) % 64);
  return dict + " ".repeat(pad) + "\n";
}

/**
 * Encode an array as `.npy` bytes exactly as `numpy.save` writes it:
 * format v1.0, or v2.0 when the header is longer than 65,535 bytes.
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { dtype, shape, data } = array;
  if (data.length !== shapeSize(shape)) {
    throw new RangeError(
      `npy data has ${data.length} values, shape (${shape}) needs ${
        shapeSize(shape)
      }`,
    );
  }
  let major = 1;
  let header = headerText(dtype, shape, major);
  if (header.length > 0xffff) {
    major = 2;
    header = headerText(dtype, shape, major);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const payload = new Uint8Array(
    data.buffer,
    data.byteOffset,
    data.byteLength,
  );
  const out = new Uint8Array(8 + lengthBytes + header.length + payload.length);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) {
    out[8 + lengthBytes + i] = header.charCodeAt(i);
  }
  out.set(payload, 8 + lengthBytes + header.length);
  return out;
}

/** Write a `.npy` file atomically; returns the bytes written. */
export async function writeNpy(
  path: string,
  array: NpyArray,
): Promise<Uint8Array> {
  const bytes = encodeNpy(array);
  await writeFileAtomic(path, bytes);
  return bytes;
}

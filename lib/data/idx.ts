/**
 * The IDX file format of MNIST, read and written, gzip'd or not.
 *
 * An IDX file is a 4-byte magic number — two zero bytes, a dtype code and
 * the rank — then one big-endian uint32 per dimension, then the values in
 * row-major order, big-endian. MNIST images are `0x00000803` (uint8, rank 3:
 * count × rows × cols) and labels `0x00000801` (uint8, rank 1).
 *
 * Decoding is strict: a wrong magic, an unknown dtype, a payload shorter or
 * longer than the header promises, or a corrupt gzip stream each raise an
 * {@link IdxFormatError} whose message names the file.
 *
 * @module
 */

import { IdxFormatError, writeFileAtomic } from "../core/mod.ts";

/** Element types an IDX file can hold. */
export type IdxDtype =
  | "uint8"
  | "int8"
  | "int16"
  | "int32"
  | "float32"
  | "float64";

/** The typed array that holds each dtype's values. */
export interface IdxDataByDtype {
  /** `uint8` values. */
  uint8: Uint8Array;
  /** `int8` values. */
  int8: Int8Array;
  /** `int16` values. */
  int16: Int16Array;
  /** `int32` values. */
  int32: Int32Array;
  /** `float32` values. */
  float32: Float32Array;
  /** `float64` values. */
  float64: Float64Array;
}

/** A decoded IDX tensor: dtype, shape and values, typed together. */
export type IdxArray = {
  [D in IdxDtype]: { dtype: D; shape: number[]; data: IdxDataByDtype[D] };
}[IdxDtype];

interface DtypeInfo {
  code: number;
  bytes: number;
}

const DTYPES: Record<IdxDtype, DtypeInfo> = {
  uint8: { code: 0x08, bytes: 1 },
  int8: { code: 0x09, bytes: 1 },
  int16: { code: 0x0b, bytes: 2 },
  int32: { code: 0x0c, bytes: 4 },
  float32: { code: 0x0d, bytes: 4 },
  float64: { code: 0x0e, bytes: 8 },
};

const DTYPE_BY_CODE = new Map<number, IdxDtype>(
  (Object.entries(DTYPES) as [IdxDtype, DtypeInfo][]).map((
    [name, info],
  ) => [info.code, name]),
);

/** Number of elements of a shape (1 for rank 0). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** True when `bytes` start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function pipeThrough(
  bytes: Uint8Array,
  transform: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Decompress a gzip stream; a corrupt one raises `IdxFormatError("gzip")`. */
export async function gunzip(
  bytes: Uint8Array,
  file = "<bytes>",
): Promise<Uint8Array> {
  try {
    return await pipeThrough(bytes, new DecompressionStream("gzip"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new IdxFormatError(
      file,
      "gzip",
      `corrupt gzip stream or bytes after its end (${
        reason.split("\n")[0]
      }); replace the file with an intact copy`,
    );
  }
}

/** Compress bytes with gzip (deterministic for a given Deno version). */
export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipeThrough(bytes, new CompressionStream("gzip"));
}

/** Decode raw (not gzip'd) IDX bytes. `file` names them in errors. */
export function decodeIdx(bytes: Uint8Array, file = "<bytes>"): IdxArray {
  if (bytes.length < 4) {
    throw new IdxFormatError(
      file,
      "truncated",
      `truncated IDX header (${bytes.length} bytes, need at least 4)`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(
      bytes.subarray(0, 4),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    throw new IdxFormatError(
      file,
      "magic",
      `not an IDX file (magic 0x${magic}, expected 0x0000 then dtype and rank)`,
    );
  }
  const dtype = DTYPE_BY_CODE.get(bytes[2]);
  if (dtype === undefined) {
    throw new IdxFormatError(
      file,
      "dtype",
      `unsupported IDX dtype code 0x${bytes[2].toString(16).padStart(2, "0")}`,
    );
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      file,
      "truncated",
      `truncated IDX header (${bytes.length} bytes, rank ${rank} needs ${headerBytes})`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const { bytes: width } = DTYPES[dtype];
  const expected = shapeSize(shape) * width;
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new IdxFormatError(
      file,
      "truncated",
      `truncated payload: header promises ${expected} bytes of ${dtype} data for shape [${shape}], file has ${actual}`,
    );
  }
  if (actual > expected) {
    throw new IdxFormatError(
      file,
      "trailing",
      `${
        actual - expected
      } bytes of trailing garbage after the ${expected}-byte payload`,
    );
  }
  return decodePayload(dtype, shape, view, headerBytes, bytes);
}

function decodePayload(
  dtype: IdxDtype,
  shape: number[],
  view: DataView,
  offset: number,
  bytes: Uint8Array,
): IdxArray {
  const n = shapeSize(shape);
  switch (dtype) {
    case "uint8":
      // Copy so the result does not pin (or alias) the whole file buffer.
      return { dtype, shape, data: bytes.slice(offset, offset + n) };
    case "int8":
      return {
        dtype,
        shape,
        data: new Int8Array(bytes.slice(offset, offset + n).buffer),
      };
    case "int16": {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt16(offset + 2 * i);
      return { dtype, shape, data };
    }
    case "int32": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(offset + 4 * i);
      return { dtype, shape, data };
    }
    case "float32": {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(offset + 4 * i);
      return { dtype, shape, data };
    }
    case "float64": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(offset + 8 * i);
      return { dtype, shape, data };
    }
  }
}

/** Encode an IDX tensor to raw (not gzip'd) bytes. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, shape, data } = array;
  if (shape.length > 255) throw new RangeError("IDX rank must be ≤ 255");
  const n = shapeSize(shape);
  if (data.length !== n) {
    throw new RangeError(
      `IDX data has ${data.length} values, shape [${shape}] needs ${n}`,
    );
  }
  const { code, bytes: width } = DTYPES[dtype];
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + n * width);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((dim, d) => {
    if (!Number.isInteger(dim) || dim < 0 || dim > 0xffffffff) {
      throw new RangeError(`IDX dimension ${d} is not a uint32: ${dim}`);
    }
    view.setUint32(4 + 4 * d, dim, false);
  });
  switch (array.dtype) {
    case "uint8":
      out.set(array.data, header);
      break;
    case "int8":
      out.set(
        new Uint8Array(array.data.buffer, array.data.byteOffset, n),
        header,
      );
      break;
    case "int16":
      array.data.forEach((v, i) => view.setInt16(header + 2 * i, v));
      break;
    case "int32":
      array.data.forEach((v, i) => view.setInt32(header + 4 * i, v));
      break;
    case "float32":
      array.data.forEach((v, i) => view.setFloat32(header + 4 * i, v));
      break;
    case "float64":
      array.data.forEach((v, i) => view.setFloat64(header + 8 * i, v));
      break;
  }
  return out;
}

/** Decode IDX bytes that may be gzip'd (detected by the gzip magic). */
export async function parseIdx(
  bytes: Uint8Array,
  file = "<bytes>",
): Promise<IdxArray> {
  return decodeIdx(isGzip(bytes) ? await gunzip(bytes, file) : bytes, file);
}

/** Read an IDX file, gzip'd or not. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await Deno.readFile(path), path);
}

/** Options of {@link writeIdx}. */
export interface WriteIdxOptions {
  /** gzip the file; default: when the path ends in `.gz`. */
  gzip?: boolean;
}

/** Encode to IDX bytes, gzip'd when asked. */
export async function serializeIdx(
  array: IdxArray,
  compress: boolean,
): Promise<Uint8Array> {
  const raw = encodeIdx(array);
  return compress ? await gzip(raw) : raw;
}

/** Write an IDX file atomically; returns the bytes written. */
export async function writeIdx(
  path: string,
  array: IdxArray,
  options: WriteIdxOptions = {},
): Promise<Uint8Array> {
  const bytes = await serializeIdx(array, options.gzip ?? path.endsWith(".gz"));
  await writeFileAtomic(path, bytes);
  return bytes;
}

import assert from "node:assert/strict";
import { IdxFormatError } from "../lib/core/errors.ts";
import {
  decodeIdx,
  encodeIdx,
  gzip,
  type IdxArray,
  parseIdx,
  readIdx,
  writeIdx,
} from "../lib/data/idx.ts";
import { NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

function sample(): IdxArray[] {
  return [
    {
      dtype: "uint8",
      shape: [3, 2, 4],
      data: Uint8Array.from({ length: 24 }, (_, i) => i * 10),
    },
    { dtype: "uint8", shape: [5], data: Uint8Array.of(0, 1, 9, 255, 7) },
    { dtype: "uint8", shape: [0, 28, 28], data: new Uint8Array(0) },
    { dtype: "int8", shape: [2, 2], data: Int8Array.of(-128, -1, 0, 127) },
    { dtype: "int16", shape: [3], data: Int16Array.of(-32768, 258, 32767) },
    {
      dtype: "int32",
      shape: [2, 1],
      data: Int32Array.of(-2147483648, 16909060),
    },
    {
      dtype: "float32",
      shape: [2, 2, 1, 1],
      data: Float32Array.of(1.5, -0.25, 3e-8, 1e30),
    },
    { dtype: "float64", shape: [2], data: Float64Array.of(Math.PI, -1e300) },
  ];
}

Deno.test("IDX round trip, raw and gzip'd, for several dtypes and shapes", async () => {
  for (const array of sample()) {
    const raw = encodeIdx(array);
    assert.deepEqual(decodeIdx(raw), array);
    assert.deepEqual(await parseIdx(await gzip(raw)), array);
  }
});

Deno.test("IDX header is big-endian with MNIST's magic numbers", () => {
  const images = encodeIdx({
    dtype: "uint8",
    shape: [2, 28, 28],
    data: new Uint8Array(2 * 784),
  });
  assert.deepEqual([...images.subarray(0, 16)], [
    0,
    0,
    8,
    3,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    28,
    0,
    0,
    0,
    28,
  ]);
  const labels = encodeIdx({
    dtype: "uint8",
    shape: [60000],
    data: new Uint8Array(60000),
  });
  assert.deepEqual([...labels.subarray(0, 8)], [0, 0, 8, 1, 0, 0, 0xea, 0x60]);
  const ints = encodeIdx({
    dtype: "int32",
    shape: [1],
    data: Int32Array.of(0x01020304),
  });
  assert.deepEqual([...ints.subarray(8)], [1, 2, 3, 4]);
});

Deno.test(
  "IDX files round trip through disk, gzip chosen by extension",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const array = sample()[0];
      const gz = await writeIdx(`${dir}/a.idx.gz`, array);
      assert.equal(gz[0], 0x1f);
      assert.deepEqual(await readIdx(`${dir}/a.idx.gz`), array);
      const raw = await writeIdx(`${dir}/a.idx`, array);
      assert.equal(raw[2], 0x08);
      assert.deepEqual(await readIdx(`${dir}/a.idx`), array);
    });
  },
);

function assertIdxError(
  fn: () => unknown,
  kind: IdxFormatError["kind"],
  file: string,
) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof IdxFormatError,
      `expected IdxFormatError, got ${error}`,
    );
    assert.equal(error.kind, kind);
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    assert.ok(!error.message.includes("\n"), "message is one line");
    return true;
  });
}

Deno.test("IDX decoding rejects each kind of bad input with a named error", () => {
  const good = encodeIdx({
    dtype: "uint8",
    shape: [2, 3],
    data: Uint8Array.of(1, 2, 3, 4, 5, 6),
  });
  const wrongMagic = good.slice();
  wrongMagic[0] = 0x50;
  assertIdxError(() => decodeIdx(wrongMagic, "x.idx"), "magic", "x.idx");
  const badDtype = good.slice();
  badDtype[2] = 0x07;
  assertIdxError(() => decodeIdx(badDtype, "x.idx"), "dtype", "x.idx");
  assertIdxError(
    () => decodeIdx(good.subarray(0, good.length - 1), "short.idx"),
    "truncated",
    "short.idx",
  );
  assertIdxError(
    () => decodeIdx(good.subarray(0, 6), "header.idx"),
    "truncated",
    "header.idx",
  );
  assertIdxError(
    () => decodeIdx(good.subarray(0, 2), "tiny.idx"),
    "truncated",
    "tiny.idx",
  );
  const trailing = new Uint8Array(good.length + 3);
  trailing.set(good);
  assertIdxError(() => decodeIdx(trailing, "long.idx"), "trailing", "long.idx");
});

Deno.test("IDX decoding of a corrupt or cut gzip stream is a gzip error naming the file", async () => {
  const raw = encodeIdx({
    dtype: "uint8",
    shape: [1000],
    data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256),
  });
  const packed = await gzip(raw);
  const cut = packed.subarray(0, packed.length - 20);
  const flipped = packed.slice();
  flipped[Math.floor(packed.length / 2)] ^= 0xff;
  for (
    const [bytes, name] of [[cut, "cut.gz"], [flipped, "flipped.gz"]] as const
  ) {
    await assert.rejects(parseIdx(bytes, name), (error: unknown) => {
      assert.ok(error instanceof IdxFormatError, String(error));
      assert.equal(error.kind, "gzip");
      assert.ok(error.message.startsWith(`${name}: `));
      return true;
    });
  }
});

Deno.test("IDX encoding refuses data that does not fill its shape", () => {
  assert.throws(
    () => encodeIdx({ dtype: "uint8", shape: [2, 2], data: new Uint8Array(3) }),
    RangeError,
  );
});

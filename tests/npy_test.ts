/**
 * The `.npy` reader and writer against files built here by hand from the
 * format's documentation (numpy/lib/format.py): magic `\x93NUMPY`, major
 * and minor version, header length (uint16 LE in v1.0, uint32 LE in
 * v2.0/3.0), a Python dict literal padded with spaces and a newline to a
 * multiple of 64 bytes, then the data.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeNpy,
  encodeNpy,
  type NpyArray,
  NpyFormatError,
  readNpy,
  writeNpy,
} from "../lib/data/npy.ts";
import {
  loadTestSet,
  splitFromNpy,
  writeNpyTestSet,
} from "../lib/data/testset.ts";
import { NEEDS_PERMISSIONS, withTempDir } from "./helpers.ts";

/**
 * A `.npy` file as `numpy.save` writes it: `dict` (the header's Python
 * literal), NumPy's 21-digit growth room for the first dimension, spaces
 * up to a multiple of 64 bytes (1 to 64 of them) and a newline.
 */
function npyFile(
  dict: string,
  payload: Uint8Array,
  { major = 1, firstDim = undefined as number | undefined } = {},
): Uint8Array {
  const growth = firstDim === undefined
    ? ""
    : " ".repeat(21 - String(firstDim).length);
  const preamble = major === 1 ? 10 : 12;
  const unpadded = dict + growth;
  const pad = 64 - ((preamble + unpadded.length + 1) % 64);
  const header = new TextEncoder().encode(unpadded + " ".repeat(pad) + "\n");
  const out = new Uint8Array(preamble + header.length + payload.length);
  out.set(
    [0x93, ..."NUMPY"].map((c) => typeof c === "number" ? c : c.charCodeAt(0)),
  );
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, preamble);
  out.set(payload, preamble + header.length);
  return out;
}

const bytesOf = (array: ArrayBufferView) =>
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/** `n` images of 28×28 with distinct pixel values. */
function pixels(n: number): Uint8Array {
  return Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7 + 3) % 256);
}

Deno.test("npy: numpy.save's exact bytes decode, and encode back byte for byte", () => {
  // What numpy.save writes for np.array([3, 0, 9], dtype=np.int64): the
  // header is 118 bytes, so the data starts at 128.
  const labels = npyFile(
    "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
    bytesOf(BigInt64Array.of(3n, 0n, 9n)),
    { firstDim: 3 },
  );
  assert.equal(labels.length, 128 + 24);
  assert.equal(new DataView(labels.buffer).getUint16(8, true), 118);
  const decoded = decodeNpy(labels, "labels.npy");
  assert.equal(decoded.dtype, "int64");
  assert.deepEqual(decoded.shape, [3]);
  assert.deepEqual(Array.from(decoded.data as BigInt64Array), [3n, 0n, 9n]);
  assert.deepEqual(encodeNpy(decoded), labels);

  const images = npyFile(
    "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 28, 28, 1), }",
    pixels(2),
    { firstDim: 2 },
  );
  const image = decodeNpy(images, "images.npy");
  assert.equal(image.dtype, "uint8");
  assert.deepEqual(image.shape, [2, 28, 28, 1]);
  assert.deepEqual(image.data, pixels(2));
  assert.deepEqual(encodeNpy(image), images);

  // A header that would end exactly on a 64-byte boundary gets 64 spaces,
  // not none: numpy.save writes 192 bytes for np.zeros((0,)+(1,)*12+(100,)).
  const shape = [0, ...new Array(12).fill(1), 100];
  const edge = npyFile(
    `{'descr': '|u1', 'fortran_order': False, 'shape': (${
      shape.join(", ")
    }), }`,
    new Uint8Array(0),
    { firstDim: 0 },
  );
  assert.equal(edge.length, 192);
  assert.deepEqual(
    encodeNpy({ dtype: "uint8", shape, data: new Uint8Array(0) }),
    edge,
  );
});

Deno.test("npy: v2.0 and v3.0 headers, (N,28,28) and (N,28,28,1), label dtypes |u1 <i4 <i8 <u2", () => {
  const labelValues = [7, 0, 9, 1];
  const labelFiles: [string, Uint8Array][] = [
    ["|u1", Uint8Array.from(labelValues)],
    ["<i4", bytesOf(Int32Array.from(labelValues))],
    ["<i8", bytesOf(BigInt64Array.from(labelValues, BigInt))],
    ["<u2", bytesOf(Uint16Array.from(labelValues))],
  ];
  const imageShapes = ["(4, 28, 28)", "(4, 28, 28, 1)"];
  for (const major of [1, 2, 3]) {
    for (const shape of imageShapes) {
      for (const [descr, payload] of labelFiles) {
        const images = decodeNpy(
          npyFile(
            `{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`,
            pixels(4),
            { major, firstDim: 4 },
          ),
          "test_images.npy",
        );
        const labels = decodeNpy(
          npyFile(
            `{'descr': '${descr}', 'fortran_order': False, 'shape': (4,), }`,
            payload,
            { major, firstDim: 4 },
          ),
          "test_labels.npy",
        );
        const split = splitFromNpy(images, labels);
        const what = `v${major}.0 ${shape} ${descr}`;
        assert.equal(split.count, 4, what);
        assert.deepEqual(split.images, pixels(4), what);
        assert.deepEqual(Array.from(split.labels), labelValues, what);
        // Written back (v1.0, as numpy.save) and read again: the same.
        const again = decodeNpy(encodeNpy(labels), "again.npy");
        assert.equal(again.dtype, labels.dtype, what);
        assert.deepEqual(again.data, labels.data, what);
      }
    }
  }
  // The header dict in any key order, double quotes, no trailing comma.
  const reordered = npyFile(
    `{"shape": (2,), "fortran_order": False, "descr": "|u1"}`,
    Uint8Array.of(4, 5),
  );
  assert.deepEqual(decodeNpy(reordered).data, Uint8Array.of(4, 5));
  // Old NumPy aligned to 16 bytes, not 64: still readable.
  const dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }";
  const pad = 16 - ((10 + dict.length + 1) % 16);
  const text = new TextEncoder().encode(dict + " ".repeat(pad) + "\n");
  const old = new Uint8Array(10 + text.length + 1);
  old.set([0x93, 78, 85, 77, 80, 89, 1, 0, text.length, 0]);
  old.set(text, 10);
  old[old.length - 1] = 6;
  assert.equal((10 + text.length) % 64 === 0, false);
  assert.deepEqual(decodeNpy(old).data, Uint8Array.of(6));
});

Deno.test(
  "npy: writeNpy/readNpy and writeNpyTestSet round-trip through files",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const array: NpyArray = {
        dtype: "int32",
        shape: [2, 3],
        data: Int32Array.of(-1, 0, 1, 2 ** 31 - 1, -(2 ** 31), 5),
      };
      const path = join(dir, "a.npy");
      const written = await writeNpy(path, array);
      assert.deepEqual(await Deno.readFile(path), written);
      assert.deepEqual(await readNpy(path), array);
      assert.equal((written.length - array.data.byteLength) % 64, 0);

      const split = {
        images: pixels(3),
        labels: Uint8Array.of(2, 9, 0),
        count: 3,
        rows: 28,
        cols: 28,
      };
      for (const labelDtype of ["uint8", "int32", "int64"] as const) {
        const set = join(dir, labelDtype);
        await writeNpyTestSet(set, split, { labelDtype });
        const images = await readNpy(join(set, "test_images.npy"));
        assert.deepEqual(images.shape, [3, 28, 28, 1]);
        assert.equal(
          (await readNpy(join(set, "test_labels.npy"))).dtype,
          labelDtype,
        );
        const loaded = await loadTestSet(set);
        assert.equal(loaded.format, "npy");
        assert.deepEqual(loaded.split, split);
      }
    });
  },
);

/** Bytes with one thing wrong, and what the error must say. */
const BAD: [string, () => Uint8Array, RegExp][] = [
  [
    "fortran order",
    () =>
      npyFile(
        "{'descr': '|u1', 'fortran_order': True, 'shape': (1, 28, 28), }",
        pixels(1),
      ),
    /Fortran-order arrays are not supported/,
  ],
  [
    "object (pickled) array",
    () =>
      npyFile(
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
        Uint8Array.of(0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      ),
    /holds Python objects \(pickled\)/,
  ],
  [
    "structured dtype",
    () =>
      npyFile(
        "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(4),
      ),
    /structured \(record\) dtypes are not supported/,
  ],
  [
    "big-endian int32",
    () =>
      npyFile(
        "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
        Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2),
      ),
    /big-endian dtype '>i4' is not supported/,
  ],
  [
    "float16",
    () =>
      npyFile(
        "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(2),
      ),
    /unsupported dtype '<f2'/,
  ],
  [
    "truncated data",
    () =>
      npyFile(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 28, 28, 1), }",
        pixels(2).subarray(0, 1000),
      ),
    /truncated data: shape \(2, 28, 28, 1\) of \|u1 needs 1568 bytes, the file has 1000/,
  ],
  [
    "trailing bytes",
    () =>
      npyFile(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }",
        Uint8Array.of(1, 2),
      ),
    /1 bytes after the 1-byte data/,
  ],
  [
    "truncated header",
    () =>
      npyFile(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(0),
      ).subarray(0, 40),
    /truncated \.npy header/,
  ],
  [
    "not .npy",
    () => new TextEncoder().encode("PK\x03\x04 this is a zip (.npz) file"),
    /not a \.npy file \(no \\x93NUMPY magic\)/,
  ],
  [
    "version 4.0",
    () => Uint8Array.of(0x93, 78, 85, 77, 80, 89, 4, 0, 0, 0),
    /unsupported \.npy format version 4\.0/,
  ],
  [
    "malformed header",
    () =>
      npyFile(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,) ",
        Uint8Array.of(1),
      ),
    /malformed \.npy header/,
  ],
  [
    "missing key",
    () => npyFile("{'descr': '|u1', 'shape': (1,), }", Uint8Array.of(1)),
    /header has keys \{descr, shape\}/,
  ],
];

Deno.test("npy: each unreadable file is refused with one line naming it", () => {
  for (const [what, bytes, message] of BAD) {
    assert.throws(
      () => decodeNpy(bytes(), "bad.npy"),
      (error: Error) => {
        assert.ok(error instanceof NpyFormatError, `${what}: ${error}`);
        assert.ok(!error.message.includes("\n"), `${what}: ${error.message}`);
        assert.match(error.message, /^bad\.npy: /, what);
        assert.match(error.message, message, what);
        return true;
      },
      what,
    );
  }
});

Deno.test("npy: test-set arrays that are readable but wrong are refused with one line", () => {
  const u8 = (shape: string, n: number) =>
    decodeNpy(
      npyFile(
        `{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`,
        new Uint8Array(n),
      ),
    );
  const labels = (descr: string, payload: Uint8Array, n = payload.length) =>
    decodeNpy(
      npyFile(
        `{'descr': '${descr}', 'fortran_order': False, 'shape': (${n},), }`,
        payload,
      ),
    );
  const names = { images: "test_images.npy", labels: "test_labels.npy" };
  const cases: [string, () => unknown, RegExp][] = [
    [
      "float images",
      () =>
        splitFromNpy(
          decodeNpy(
            npyFile(
              "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), }",
              new Uint8Array(784 * 4),
            ),
          ),
          labels("|u1", Uint8Array.of(1)),
          names,
        ),
      /^test_images\.npy: images must be uint8 pixels 0–255, got float32$/,
    ],
    [
      "27 columns",
      () =>
        splitFromNpy(
          u8("(1, 28, 27)", 28 * 27),
          labels("|u1", Uint8Array.of(1)),
          names,
        ),
      /^test_images\.npy: images must have shape \(N, 28, 28, 1\) or \(N, 28, 28\), got \(1, 28, 27\)$/,
    ],
    [
      "three channels",
      () =>
        splitFromNpy(
          u8("(1, 28, 28, 3)", 784 * 3),
          labels("|u1", Uint8Array.of(1)),
          names,
        ),
      /got \(1, 28, 28, 3\)$/,
    ],
    [
      "flat images",
      () =>
        splitFromNpy(
          u8("(1, 784)", 784),
          labels("|u1", Uint8Array.of(1)),
          names,
        ),
      /got \(1, 784\)$/,
    ],
    [
      "counts disagree",
      () =>
        splitFromNpy(
          u8("(2, 28, 28)", 2 * 784),
          labels("|u1", Uint8Array.of(1, 2, 3)),
          names,
        ),
      /^test_labels\.npy: 3 labels for 2 images in test_images\.npy$/,
    ],
    [
      "label 10",
      () =>
        splitFromNpy(
          u8("(1, 28, 28)", 784),
          labels("<i8", bytesOf(BigInt64Array.of(10n)), 1),
          names,
        ),
      /^test_labels\.npy: label 10 at index 0 is not a digit 0–9$/,
    ],
    [
      "label -1",
      () =>
        splitFromNpy(
          u8("(1, 28, 28)", 784),
          labels("<i4", bytesOf(Int32Array.of(-1)), 1),
          names,
        ),
      /label -1 at index 0/,
    ],
    [
      "float labels",
      () =>
        splitFromNpy(
          u8("(1, 28, 28)", 784),
          labels("<f8", bytesOf(Float64Array.of(1)), 1),
          names,
        ),
      /^test_labels\.npy: labels must be integers, got float64$/,
    ],
  ];
  for (const [what, run, message] of cases) {
    assert.throws(run, (error: Error) => {
      assert.ok(!error.message.includes("\n"), `${what}: ${error.message}`);
      assert.match(error.message, message, what);
      return true;
    }, what);
  }
});

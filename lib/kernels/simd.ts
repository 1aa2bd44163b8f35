/**
 * Hand-assembled WebAssembly SIMD loops that run on tfjs-backend-wasm's
 * own heap (the module imports the backend's `WebAssembly.Memory`), so
 * elementwise kernels work on tensors where they live.
 *
 * Why: the JavaScript loops over heap views that the other kernels use
 * run at 1.5–12 ns per element (Adam's `Math.fround` chain is the slowest);
 * 4-lane f32x4/i32x4 loops take ~0.3–0.7 ns. Hand-assembled because there
 * is no wasm toolchain here and the loops are tiny. Exactness: f32x4
 * add/mul/div/sqrt are IEEE float32 operations (no FMA), and the integer
 * tricks are exact, so every loop matches its JavaScript twin bit for bit
 * (tests/kernels_test.ts checks both against tfjs).
 *
 * All loops take byte offsets into the heap and a byte count that is a
 * multiple of 16; callers do the remaining < 4 elements in JavaScript.
 *
 * @module
 */

/** The loops, as callable exports of one instance per heap. */
export interface SimdLoops {
  /**
   * Adam: (val, m, v, g, outVal, outM, outV, bytes, β₁, 1−β₁, β₂, 1−β₂,
   * 1−β₁ᵗ, 1−β₂ᵗ, ε, −lr), with tfjs' operation order (see adam.ts).
   */
  adam(...args: number[]): void;
  /**
   * Relu gradient by bit mask (as grad_math.ts' `reluGrad`): out = dy where
   * x's bits are a positive int, else +0. Returns non-zero when some x is
   * NaN or some dy non-finite: the caller must then use the float loop.
   */
  reluGrad(x: number, dy: number, out: number, bytes: number): number;
  /** Square gradient: out = dy · (x · 2). */
  squareGrad(x: number, dy: number, out: number, bytes: number): void;
  /**
   * Batch norm over the last axis as grad_math's `batchNormLastAxis`:
   * out = float32(x · a[c] + b[c]) in float64, two channels per step
   * (C even). `ab` holds float64 a[0..C) then b[0..C); `rowBytes` = 4C.
   */
  batchNorm(
    x: number,
    out: number,
    ab: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * The two-row main loop of grad_math's `batchNormGrad` over `bytes` of
   * x/dy/dx (whole row pairs), two channels per step (C even). `scratch`
   * holds float64 m[C], k[C], s1[C], s2[C]; s1 and s2 are accumulated.
   */
  batchNormGrad(
    x: number,
    dy: number,
    dx: number,
    scratch: number,
    rowBytes: number,
    bytes: number,
  ): void;
  /**
   * The four-row loop of reduce.ts' `sumRows` over `bytes` (whole groups of
   * four rows), two columns per step (C even), into float64 `acc`.
   */
  sumRows(x: number, acc: number, rowBytes: number, bytes: number): void;
  /**
   * One output row of conv.ts' `maxPoolGrad2x2` (C a multiple of 4): x/dx
   * at the window row's start, y/dy at the output row's start. Returns
   * non-zero when some window has no element equal to its output or a NaN
   * maximum (the caller then uses the general loop).
   */
  maxPoolGrad2x2(
    x: number,
    y: number,
    dy: number,
    dx: number,
    rowBytes: number,
    cBytes: number,
    outBytes: number,
  ): number;
}

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}

/** Signed LEB128, for i32.const. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && !(byte & 0x40)) || (n === -1 && (byte & 0x40));
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const simd = (op: number) => [0xfd, ...leb(op)];
const load = [...simd(0x00), 2, 0]; // v128.load align=4 offset=0
const store = [...simd(0x0b), 2, 0];
const f32x4 = {
  splat: simd(0x13),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  mul: simd(0xe6),
  div: simd(0xe7),
};
const i32x4 = {
  splat: simd(0x11),
  eq: simd(0x37),
  neg: simd(0xa1),
  shrS: simd(0xac),
  gtS: simd(0x3b),
  sub: simd(0xb1),
  bitmask: simd(0xa4),
};
const v128 = { and: simd(0x4e), andnot: simd(0x4f), or: simd(0x50) };
const f64x2 = {
  add: simd(0xf0),
  sub: simd(0xf1),
  mul: simd(0xf2),
  /** Two float32s (8 bytes) widened to float64: v128.load64_zero + promote. */
  load2: [...simd(0x5d), 3, 0, ...simd(0x5f)],
  /** Both lanes narrowed to float32 and stored (8 bytes): demote + store64_lane 0. */
  store2: [...simd(0x5e), ...simd(0x5b), 3, 0, 0],
};
const i32 = {
  const: (n: number) => [0x41, ...sleb(n)],
  add: [0x6a],
  mul: [0x6c],
  geU: [0x4f],
};

/** `ptr + i` where local `i` is the loop's byte offset. */
const at = (ptr: number, i: number) => [...get(ptr), ...get(i), ...i32.add];

/**
 * `block loop (if i >= bytes break) body; i += step; continue end end`,
 * with `i` and `bytes` local indices (step 0: the body advances `i`).
 */
const loop = (i: number, bytes: number, body: number[], step = 16) => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...get(i),
  ...get(bytes),
  ...i32.geU,
  0x0d,
  1,
  ...body,
  ...(step ? [...get(i), ...i32.const(step), ...i32.add, ...set(i)] : []),
  0x0c,
  0,
  0x0b,
  0x0b,
];

interface Func {
  name: string;
  params: number[];
  results: number[];
  locals: [count: number, type: number][];
  body: number[];
}

function adamFunc(): Func {
  // params 0..7: val, m, v, g, outVal, outM, outV, bytes; 8..15: scalars.
  // locals 16..23: splatted scalars; 24 g, 25 m1, 26 v1 (v128); 27 i.
  const I = 27;
  return {
    name: "adam",
    params: [...Array(8).fill(I32), ...Array(8).fill(F32)],
    results: [],
    locals: [[11, V128], [1, I32]],
    body: [
      ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [
        ...get(8 + k),
        ...f32x4.splat,
        ...set(16 + k),
      ]),
      ...loop(I, 7, [
        ...at(3, I),
        ...load,
        ...set(24),
        // m1 = m·β₁ + g·(1−β₁) → outM
        ...at(1, I),
        ...load,
        ...get(16),
        ...f32x4.mul,
        ...get(24),
        ...get(17),
        ...f32x4.mul,
        ...f32x4.add,
        ...set(25),
        ...at(5, I),
        ...get(25),
        ...store,
        // v1 = v·β₂ + (g·g)·(1−β₂) → outV
        ...at(2, I),
        ...load,
        ...get(18),
        ...f32x4.mul,
        ...get(24),
        ...get(24),
        ...f32x4.mul,
        ...get(19),
        ...f32x4.mul,
        ...f32x4.add,
        ...set(26),
        ...at(6, I),
        ...get(26),
        ...store,
        // outVal = ((m1/(1−β₁ᵗ)) / (sqrt(v1/(1−β₂ᵗ)) + ε))·(−lr) + val
        ...at(4, I),
        ...get(25),
        ...get(20),
        ...f32x4.div,
        ...get(26),
        ...get(21),
        ...f32x4.div,
        ...f32x4.sqrt,
        ...get(22),
        ...f32x4.add,
        ...f32x4.div,
        ...get(23),
        ...f32x4.mul,
        ...at(0, I),
        ...load,
        ...f32x4.add,
        ...store,
      ]),
      0x0b,
    ],
  };
}

function reluGradFunc(): Func {
  // params 0 x, 1 dy, 2 out, 3 bytes; locals 4 i, 5 x, 6 dy, 7 special,
  // 8 abs mask, 9 +Inf bits, 10 max-finite bits.
  const I = 4;
  const abs = (v: number) => [...get(v), ...get(8), ...v128.and];
  return {
    name: "reluGrad",
    params: [I32, I32, I32, I32],
    results: [I32],
    locals: [[1, I32], [6, V128]],
    body: [
      ...i32.const(0x7fffffff),
      ...i32x4.splat,
      ...set(8),
      ...i32.const(0x7f800000),
      ...i32x4.splat,
      ...set(9),
      ...i32.const(0x7f7fffff),
      ...i32x4.splat,
      ...set(10),
      ...loop(I, 3, [
        ...at(0, I),
        ...load,
        ...set(5),
        ...at(1, I),
        ...load,
        ...set(6),
        // out = dy & (x > 0 as int)
        ...at(2, I),
        ...get(6),
        ...get(5),
        ...i32.const(0),
        ...i32x4.splat,
        ...i32x4.gtS,
        ...v128.and,
        ...store,
        // special |= (+Inf − |x|) | (maxFinite − |dy|): negative on NaN x
        // or non-finite dy.
        ...get(7),
        ...get(9),
        ...abs(5),
        ...i32x4.sub,
        ...get(10),
        ...abs(6),
        ...i32x4.sub,
        ...v128.or,
        ...v128.or,
        ...set(7),
      ]),
      ...get(7),
      ...i32x4.bitmask,
      0x0b,
    ],
  };
}

function squareGradFunc(): Func {
  // params 0 x, 1 dy, 2 out, 3 bytes; locals 4 i, 5 splat(2).
  const I = 4;
  return {
    name: "squareGrad",
    params: [I32, I32, I32, I32],
    results: [],
    locals: [[1, I32], [1, V128]],
    body: [
      0x43,
      ...new Uint8Array(new Float32Array([2]).buffer), // f32.const 2
      ...f32x4.splat,
      ...set(5),
      ...loop(I, 3, [
        ...at(2, I),
        ...at(1, I),
        ...load,
        ...at(0, I),
        ...load,
        ...get(5),
        ...f32x4.mul,
        ...f32x4.mul,
        ...store,
      ]),
      0x0b,
    ],
  };
}

function batchNormFunc(): Func {
  // params 0 x, 1 out, 2 ab (float64 a[C] then b[C]), 3 rowBytes (4C),
  // 4 bytes; locals 5 r (row byte offset), 6 j (channel byte offset),
  // 7 b's address.
  return {
    name: "batchNorm",
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [[3, I32]],
    body: [
      ...get(2),
      ...get(3),
      ...get(3),
      ...i32.add,
      ...i32.add,
      ...set(7),
      ...loop(5, 4, [
        ...i32.const(0),
        ...set(6),
        ...loop(6, 3, [
          // out[r+j] = float32(float64(x[r+j]) · a[j] + b[j]), two channels
          ...get(1),
          ...get(5),
          ...i32.add,
          ...get(6),
          ...i32.add,
          ...get(0),
          ...get(5),
          ...i32.add,
          ...get(6),
          ...i32.add,
          ...f64x2.load2,
          ...get(2),
          ...get(6),
          ...get(6),
          ...i32.add,
          ...i32.add,
          ...load,
          ...f64x2.mul,
          ...get(7),
          ...get(6),
          ...get(6),
          ...i32.add,
          ...i32.add,
          ...load,
          ...f64x2.add,
          ...f64x2.store2,
        ], 8),
        ...get(5),
        ...get(3),
        ...i32.add,
        ...set(5),
      ], 0),
      0x0b,
    ],
  };
}

function batchNormGradFunc(): Func {
  // params 0 x, 1 dy, 2 dx, 3 scratch (float64 m[C], k[C], s1[C], s2[C]),
  // 4 rowBytes (4C), 5 bytes (a whole number of row pairs);
  // locals 6 i (row-pair byte offset), 7 j (channel byte offset),
  // 8 j+j (float64 offset), 9 x₀ address, 10 dy₀ address;
  // 11 d, 12 e, 13 mc (v128).
  const rowPlus = (base: number) => [...get(base), ...get(4), ...i32.add];
  const f64At = (array: number) => [
    ...get(3),
    ...get(8),
    ...i32.add, // scratch + 2j
    ...(array
      ? [...get(4), ...i32.const(array * 2), ...i32.mul, ...i32.add]
      : []),
  ];
  return {
    name: "batchNormGrad",
    params: [I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [[5, I32], [3, V128]],
    body: [
      ...loop(6, 5, [
        ...i32.const(0),
        ...set(7),
        ...loop(7, 4, [
          ...get(7),
          ...get(7),
          ...i32.add,
          ...set(8),
          ...get(0),
          ...get(6),
          ...i32.add,
          ...get(7),
          ...i32.add,
          ...set(9),
          ...get(1),
          ...get(6),
          ...i32.add,
          ...get(7),
          ...i32.add,
          ...set(10),
          ...get(10),
          ...f64x2.load2,
          ...set(11),
          ...rowPlus(10),
          ...f64x2.load2,
          ...set(12),
          ...f64At(0),
          ...load,
          ...set(13),
          // s1 += d + e
          ...f64At(2),
          ...f64At(2),
          ...load,
          ...get(11),
          ...get(12),
          ...f64x2.add,
          ...f64x2.add,
          ...store,
          // s2 += d·(x₀ − mc) + e·(x₁ − mc)
          ...f64At(3),
          ...f64At(3),
          ...load,
          ...get(11),
          ...get(9),
          ...f64x2.load2,
          ...get(13),
          ...f64x2.sub,
          ...f64x2.mul,
          ...get(12),
          ...rowPlus(9),
          ...f64x2.load2,
          ...get(13),
          ...f64x2.sub,
          ...f64x2.mul,
          ...f64x2.add,
          ...f64x2.add,
          ...store,
          // dx₀ = d·k, dx₁ = e·k (float64 products, rounded to float32)
          ...get(2),
          ...get(6),
          ...i32.add,
          ...get(7),
          ...i32.add,
          ...get(11),
          ...f64At(1),
          ...load,
          ...f64x2.mul,
          ...f64x2.store2,
          ...get(2),
          ...get(6),
          ...i32.add,
          ...get(7),
          ...i32.add,
          ...get(4),
          ...i32.add,
          ...get(12),
          ...f64At(1),
          ...load,
          ...f64x2.mul,
          ...f64x2.store2,
        ], 8),
        ...get(6),
        ...get(4),
        ...get(4),
        ...i32.add,
        ...i32.add,
        ...set(6),
      ], 0),
      0x0b,
    ],
  };
}

function sumRowsFunc(): Func {
  // params 0 x, 1 acc (float64 [C]), 2 rowBytes (4C), 3 bytes (whole
  // four-row groups); locals 4 r, 5 j, 6 x address.
  const row = (k: number) =>
    k
      ? [...get(6), ...get(2), ...i32.const(k), ...i32.mul, ...i32.add]
      : get(6);
  const accAt = [...get(1), ...get(5), ...get(5), ...i32.add, ...i32.add];
  return {
    name: "sumRows",
    params: [I32, I32, I32, I32],
    results: [],
    locals: [[3, I32]],
    body: [
      ...loop(4, 3, [
        ...i32.const(0),
        ...set(5),
        ...loop(5, 2, [
          ...get(0),
          ...get(4),
          ...i32.add,
          ...get(5),
          ...i32.add,
          ...set(6),
          // acc += (x₀ + x₁) + (x₂ + x₃), two channels, float64
          ...accAt,
          ...accAt,
          ...load,
          ...row(0),
          ...f64x2.load2,
          ...row(1),
          ...f64x2.load2,
          ...f64x2.add,
          ...row(2),
          ...f64x2.load2,
          ...row(3),
          ...f64x2.load2,
          ...f64x2.add,
          ...f64x2.add,
          ...f64x2.add,
          ...store,
        ], 8),
        ...get(4),
        ...get(2),
        ...i32.const(4),
        ...i32.mul,
        ...i32.add,
        ...set(4),
      ], 0),
      0x0b,
    ],
  };
}

function maxPoolGrad2x2Func(): Func {
  // One output row of conv.ts' `maxPoolGrad2x2`. params 0 x (window row
  // start), 1 y (output row start), 2 dy (its row start), 3 dx (like x),
  // 4 rowBytes (input row, W·C·4), 5 cBytes (C·4), 6 outBytes (OW·C·4);
  // locals 7 q (output offset of the window), 8 p (input offset, 2q), 9 k
  // (channel offset), 10 x address, 11 dx address; v128 12 m, 13 ea,
  // 14 eb, 15 ec, 16 ed, 17 bad, 18 grad, 19 |·| mask, 20 NaN limit.
  const zeroNormalized = [
    // bits & ((mag | −mag) >> 31), mag = bits & 0x7fffffff
    ...set(12),
    ...get(12),
    ...get(12),
    ...get(19),
    ...v128.and,
    ...set(18),
    ...get(18),
    ...get(18),
    ...i32x4.neg,
    ...v128.or,
    ...i32.const(31),
    ...i32x4.shrS,
    ...v128.and,
  ];
  const rowOff = [...get(4)];
  const colOff = [...get(5)];
  const both = [...get(4), ...get(5), ...i32.add];
  // eq(zn(x at off), m) → local
  const eqAt = (off: number[] | null, to: number) => [
    ...(off
      ? [...get(10), ...off, ...i32.add, ...load]
      : [...get(10), ...load]),
    ...zeroNormalized,
    ...get(21),
    ...i32x4.eq,
    ...set(to),
  ];
  const storeAt = (off: number[] | null, e: number) => [
    ...(off ? [...get(11), ...off, ...i32.add] : get(11)),
    ...get(18),
    ...get(e),
    ...v128.and,
    ...store,
  ];
  return {
    name: "maxPoolGrad2x2",
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [I32],
    locals: [[5, I32], [10, V128]],
    body: [
      ...i32.const(0x7fffffff),
      ...i32x4.splat,
      ...set(19),
      ...i32.const(0x7f800000),
      ...i32x4.splat,
      ...set(20),
      ...loop(7, 6, [
        ...i32.const(0),
        ...set(9),
        ...loop(9, 5, [
          ...get(0),
          ...get(8),
          ...i32.add,
          ...get(9),
          ...i32.add,
          ...set(10),
          ...get(3),
          ...get(8),
          ...i32.add,
          ...get(9),
          ...i32.add,
          ...set(11),
          // m = zn(y); grad = dy
          ...get(1),
          ...get(7),
          ...i32.add,
          ...get(9),
          ...i32.add,
          ...load,
          ...zeroNormalized,
          ...set(21),
          ...eqAt(null, 13),
          ...eqAt(colOff, 14),
          ...get(14),
          ...get(13),
          ...v128.andnot,
          ...set(14),
          ...eqAt(rowOff, 15),
          ...get(15),
          ...get(13),
          ...get(14),
          ...v128.or,
          ...v128.andnot,
          ...set(15),
          ...eqAt(both, 16),
          ...get(16),
          ...get(13),
          ...get(14),
          ...v128.or,
          ...get(15),
          ...v128.or,
          ...v128.andnot,
          ...set(16),
          ...get(2),
          ...get(7),
          ...i32.add,
          ...get(9),
          ...i32.add,
          ...load,
          ...set(18),
          ...storeAt(null, 13),
          ...storeAt(colOff, 14),
          ...storeAt(rowOff, 15),
          ...storeAt(both, 16),
          // bad |= ~(ea|eb|ec|ed) | (0x7f800000 − (m & 0x7fffffff))
          ...get(17),
          ...get(13),
          ...get(14),
          ...v128.or,
          ...get(15),
          ...v128.or,
          ...get(16),
          ...v128.or,
          ...simd(0x4d),
          ...get(20),
          ...get(21),
          ...get(19),
          ...v128.and,
          ...i32x4.sub,
          ...v128.or,
          ...v128.or,
          ...set(17),
        ]),
        ...get(7),
        ...get(5),
        ...i32.add,
        ...set(7),
        ...get(8),
        ...get(5),
        ...get(5),
        ...i32.add,
        ...i32.add,
        ...set(8),
      ], 0),
      ...get(17),
      ...i32x4.bitmask,
      0x0b,
    ],
  };
}

/** A module importing `env.memory` and exporting `funcs`. */
function assemble(funcs: Func[]): Uint8Array<ArrayBuffer> {
  const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
  const section = (id: number, bytes: number[]) => [
    id,
    ...leb(bytes.length),
    ...bytes,
  ];
  const name = (text: string) => [
    ...leb(text.length),
    ...new TextEncoder().encode(text),
  ];
  const code = funcs.map((f) => {
    const body = [
      ...vec(f.locals.map(([count, type]) => [...leb(count), type])),
      ...f.body,
    ];
    return [...leb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(
      1,
      vec(
        funcs.map((
          f,
        ) => [
          0x60,
          ...vec(f.params.map((t) => [t])),
          ...vec(f.results.map((t) => [t])),
        ]),
      ),
    ),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vec(funcs.map((_, i) => leb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(code)),
  ]);
}

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/**
 * The loops bound to a tfjs-backend-wasm backend's heap, or null when they
 * cannot be had (another backend, no SIMD): callers then use JavaScript.
 */
export function simdLoops(backend: object): SimdLoops | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm
    ?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let loops = instances.get(memory);
  if (loops === undefined) {
    try {
      const module = new WebAssembly.Module(
        assemble([
          adamFunc(),
          reluGradFunc(),
          squareGradFunc(),
          batchNormFunc(),
          batchNormGradFunc(),
          sumRowsFunc(),
          maxPoolGrad2x2Func(),
        ]),
      );
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      loops = instance.exports as unknown as SimdLoops;
    } catch {
      loops = null;
    }
    instances.set(memory, loops);
  }
  return loops;
}

/**
 * Counter-based random numbers for reproducible, order-independent data
 * augmentation.
 *
 * Every random decision about image `i` of split `s` under seed `k` comes
 * from a generator keyed by `(k, s, i, stream)` only. The key is hashed
 * with the SplitMix64 finaliser (a bijection on 64 bits, so distinct
 * image indices of one split can never share a key), and the resulting
 * 64-bit key seeds a xoshiro128** generator for the draws within that
 * image. Nothing depends on how many images were processed before, so the
 * output is the same for any batch size, order or worker count.
 *
 * The 64-bit arithmetic runs on pairs of uint32 numbers instead of
 * `BigInt`, which is an order of magnitude slower in V8 and would be paid
 * once per image.
 *
 * ```ts
 * import { KeyedRng } from "./rng.ts";
 *
 * const rng = new KeyedRng();
 * rng.reseed(42, 0, 1234, 0); // seed 42, split 0, image 1234, stream 0
 * const angle = rng.uniform(-72, 72);
 * ```
 *
 * @module
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

// The SplitMix64 constants, split into uint32 halves.
const GOLDEN_HI = 0x9e3779b9;
const GOLDEN_LO = 0x7f4a7c15;
const MIX1_HI = 0xbf58476d;
const MIX1_LO = 0x1ce4e5b9;
const MIX2_HI = 0x94d049bb;
const MIX2_LO = 0x133111eb;

/** A 64-bit value as two uint32 halves; mutated in place by the helpers. */
export interface U64 {
  /** High 32 bits (uint32). */
  hi: number;
  /** Low 32 bits (uint32). */
  lo: number;
}

/** `x = x * (bHi:bLo) mod 2^64`, exact, on uint32 halves. */
function mulInPlace(x: U64, bHi: number, bLo: number): void {
  const aLo = x.lo;
  // 32×32 → 64-bit product of the low halves from 16-bit pieces; every
  // partial product stays below 2^34, so doubles hold it exactly.
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 65536) * 65536;
  const lo = low >>> 0;
  const carry = (low - lo) / TWO_POW_32;
  const hi = a1 * b1 + Math.floor(mid / 65536) + carry +
    Math.imul(x.hi, bLo) + Math.imul(aLo, bHi);
  x.hi = hi >>> 0;
  x.lo = lo;
}

/** `x = x + (bHi:bLo) mod 2^64`. */
function addInPlace(x: U64, bHi: number, bLo: number): void {
  const low = x.lo + bLo;
  const lo = low >>> 0;
  x.hi = (x.hi + bHi + (low - lo) / TWO_POW_32) >>> 0;
  x.lo = lo;
}

/** `x = x ^ (x >>> n)` for 0 < n < 32. */
function xorShiftRightInPlace(x: U64, n: number): void {
  const lo = x.lo ^ ((x.lo >>> n) | (x.hi << (32 - n)));
  x.hi = (x.hi ^ (x.hi >>> n)) >>> 0;
  x.lo = lo >>> 0;
}

/**
 * The SplitMix64 output function ("mix64") applied in place: a bijection
 * of 64-bit values with good avalanche, used to hash keys.
 */
export function mix64InPlace(x: U64): void {
  xorShiftRightInPlace(x, 30);
  mulInPlace(x, MIX1_HI, MIX1_LO);
  xorShiftRightInPlace(x, 27);
  mulInPlace(x, MIX2_HI, MIX2_LO);
  xorShiftRightInPlace(x, 31);
}

/**
 * The classic SplitMix64 generator (Steele, Lea & Flood 2014): output `n`
 * is `mix64(seed + n·γ)`. Used to expand a key into generator state.
 *
 * ```ts
 * const sm = SplitMix64.fromBigInt(0n);
 * sm.nextBigInt(); // 0xe220a8397b1dcdafn
 * ```
 */
export class SplitMix64 {
  readonly #state: U64;
  readonly #out: U64 = { hi: 0, lo: 0 };

  /** A generator whose state is `hi·2^32 + lo`. */
  constructor(hi: number, lo: number) {
    this.#state = { hi: hi >>> 0, lo: lo >>> 0 };
  }

  /** A generator seeded with a 64-bit `BigInt` (taken modulo 2^64). */
  static fromBigInt(seed: bigint): SplitMix64 {
    const s = BigInt.asUintN(64, seed);
    return new SplitMix64(Number(s >> 32n), Number(s & 0xffffffffn));
  }

  /** Advance and return the next output; the object is reused per call. */
  next(): Readonly<U64> {
    addInPlace(this.#state, GOLDEN_HI, GOLDEN_LO);
    this.#out.hi = this.#state.hi;
    this.#out.lo = this.#state.lo;
    mix64InPlace(this.#out);
    return this.#out;
  }

  /** The next output as a `BigInt` (for tests and interop). */
  nextBigInt(): bigint {
    const { hi, lo } = this.next();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** Split a non-negative safe integer into uint32 halves. */
function toU64(value: number, into: U64): void {
  into.hi = Math.floor(value / TWO_POW_32) >>> 0;
  into.lo = value >>> 0;
}

/**
 * Hash `(seed, ...parts)` to a 64-bit key: `h = mix64(seed + γ)`, then for
 * each part `h = mix64((h ^ part) + γ)`. Each step is a bijection of `h`
 * for a fixed part, so keys that differ in one part never collide.
 * Parts and the seed are non-negative safe integers.
 */
export function deriveKey(seed: number, parts: readonly number[]): U64 {
  const key: U64 = { hi: 0, lo: 0 };
  toU64(seed, key);
  addInPlace(key, GOLDEN_HI, GOLDEN_LO);
  mix64InPlace(key);
  for (const part of parts) absorb(key, part);
  return key;
}

const partScratch: U64 = { hi: 0, lo: 0 };

function absorb(key: U64, part: number): void {
  toU64(part, partScratch);
  key.hi = (key.hi ^ partScratch.hi) >>> 0;
  key.lo = (key.lo ^ partScratch.lo) >>> 0;
  addInPlace(key, GOLDEN_HI, GOLDEN_LO);
  mix64InPlace(key);
}

// Allocation-free deriveKey(seed, [a, b, c]) for the per-image hot path.
function deriveKeyInto(
  key: U64,
  seed: number,
  a: number,
  b: number,
  c: number,
): void {
  toU64(seed, key);
  addInPlace(key, GOLDEN_HI, GOLDEN_LO);
  mix64InPlace(key);
  absorb(key, a);
  absorb(key, b);
  absorb(key, c);
}

/**
 * A xoshiro128** generator (Blackman & Vigna) reseeded per image from a
 * key `(seed, split, index, stream)`. One instance is reused for every
 * image so the hot loop allocates nothing.
 */
export class KeyedRng {
  #s0 = 1;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  #spareGaussian = 0;
  #hasSpare = false;
  readonly #key: U64 = { hi: 0, lo: 0 };
  readonly #expand: U64 = { hi: 0, lo: 0 };
  readonly #word: U64 = { hi: 0, lo: 0 };

  /**
   * Key the generator by `(seed, split, index, stream)`. `stream` separates
   * independent uses for the same image (parameters, each kind of noise).
   */
  reseed(seed: number, split: number, index: number, stream: number): this {
    deriveKeyInto(this.#key, seed, split, index, stream);
    // Expand the 64-bit key into 128 bits of state with two SplitMix64
    // outputs, as the xoshiro authors recommend.
    const x = this.#expand;
    x.hi = this.#key.hi;
    x.lo = this.#key.lo;
    addInPlace(x, GOLDEN_HI, GOLDEN_LO);
    const y = this.#word;
    y.hi = x.hi;
    y.lo = x.lo;
    mix64InPlace(y);
    this.#s0 = y.hi | 0;
    this.#s1 = y.lo | 0;
    addInPlace(x, GOLDEN_HI, GOLDEN_LO);
    mix64InPlace(x);
    this.#s2 = x.hi | 0;
    this.#s3 = x.lo | 0;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
    this.#hasSpare = false;
    return this;
  }

  /** The next uniform uint32. */
  nextUint32(): number {
    const s1 = this.#s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (fast; for pixels). */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits of resolution (for parameters). */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextDouble();
  }

  /** A standard normal draw (Box–Muller; the pair's second half is kept). */
  nextGaussian(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spareGaussian;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
    const angle = 2 * Math.PI * this.nextFloat();
    this.#spareGaussian = radius * Math.sin(angle);
    this.#hasSpare = true;
    return radius * Math.cos(angle);
  }
}

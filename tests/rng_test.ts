import assert from "node:assert/strict";
import { deriveKey, KeyedRng, SplitMix64 } from "../lib/core/rng.ts";

const MASK64 = (1n << 64n) - 1n;

/** Textbook SplitMix64 on BigInt: the oracle for the uint32-pair version. */
function referenceSplitMix64(seed: bigint, count: number): bigint[] {
  let state = seed & MASK64;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    out.push(z ^ (z >> 31n));
  }
  return out;
}

Deno.test("SplitMix64 gives the published first output for seed 0", () => {
  assert.equal(SplitMix64.fromBigInt(0n).nextBigInt(), 0xe220a8397b1dcdafn);
});

Deno.test("SplitMix64 on uint32 pairs equals the BigInt reference", () => {
  for (
    const seed of [
      0n,
      1n,
      42n,
      0xffffffffn,
      0x100000000n,
      0xdeadbeefcafebaben,
      MASK64,
    ]
  ) {
    const generator = SplitMix64.fromBigInt(seed);
    const ours = Array.from({ length: 200 }, () => generator.nextBigInt());
    assert.deepEqual(ours, referenceSplitMix64(seed, 200), `seed ${seed}`);
  }
});

function draws(rng: KeyedRng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

Deno.test("KeyedRng: a key always gives the same stream, whatever came before", () => {
  const a = new KeyedRng().reseed(42, 1, 1234, 0);
  const first = draws(a, 16);
  const b = new KeyedRng();
  // Use b for unrelated keys first: results must not depend on history.
  for (let i = 0; i < 100; i++) draws(b.reseed(7, 0, i, 3), 5);
  b.nextGaussian(); // leaves a spare normal behind
  assert.deepEqual(draws(b.reseed(42, 1, 1234, 0), 16), first);
});

Deno.test("KeyedRng: changing any part of the key changes the stream", () => {
  const base = draws(new KeyedRng().reseed(42, 0, 5, 0), 8);
  for (
    const [seed, split, index, stream] of [
      [43, 0, 5, 0],
      [42, 1, 5, 0],
      [42, 0, 6, 0],
      [42, 0, 5, 1],
    ]
  ) {
    const other = draws(new KeyedRng().reseed(seed, split, index, stream), 8);
    assert.notDeepEqual(other, base, `${seed},${split},${index},${stream}`);
  }
});

Deno.test("deriveKey: 100,000 image indices give 100,000 distinct keys", () => {
  const keys = new Set<string>();
  for (let i = 0; i < 100_000; i++) {
    const { hi, lo } = deriveKey(42, [0, i, 0]);
    keys.add(`${hi}:${lo}`);
  }
  assert.equal(keys.size, 100_000);
});

Deno.test("KeyedRng: uniform and Gaussian draws have the right moments", () => {
  const rng = new KeyedRng().reseed(1, 0, 0, 0);
  const n = 200_000;
  let sum = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.nextDouble();
    sum += u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  assert.ok(min >= 0 && max < 1, `${min} ${max}`);
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  let gSum = 0;
  let gSquares = 0;
  for (let i = 0; i < n; i++) {
    const g = rng.nextGaussian();
    gSum += g;
    gSquares += g * g;
  }
  const mean = gSum / n;
  assert.ok(Math.abs(mean) < 0.01, `gaussian mean ${mean}`);
  assert.ok(Math.abs(gSquares / n - mean ** 2 - 1) < 0.02, "gaussian variance");
  const lo = -3;
  const hi = 5;
  for (let i = 0; i < 1000; i++) {
    const v = rng.uniform(lo, hi);
    assert.ok(v >= lo && v < hi);
  }
});

import assert from "node:assert/strict";
import { KeyedProgress } from "../lib/core/mod.ts";

Deno.test("KeyedProgress keeps one bar per key, made on the key's first report", () => {
  const made: [string, number][] = [];
  const bars = new KeyedProgress((key: string, total) => {
    made.push([key, total]);
    return { label: key, total, enabled: false };
  });
  assert.equal(bars.current, undefined);
  bars.update("train", 10, 600);
  const train = bars.current;
  bars.update("train", 20, 600);
  assert.equal(bars.current, train);
  bars.update("test", 5, 100);
  assert.notEqual(bars.current, train);
  assert.deepEqual(made, [["train", 600], ["test", 100]]);
  bars.finish();
  assert.equal(bars.current, undefined);
  // After finish, the same key starts a fresh bar (a new epoch, a re-fetch).
  bars.update("test", 1, 100);
  assert.deepEqual(made.at(-1), ["test", 100]);
  assert.equal(made.length, 3);
});

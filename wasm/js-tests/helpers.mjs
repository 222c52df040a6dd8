// Shared by the Node test files (not a test file itself).
import assert from "node:assert/strict";

/** Canonical JSON: keys sorted, no whitespace (the Rust replayer's `normalise`). */
export function normalise(v) {
  const sort = (x) =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === "object" ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])])) : x;
  return JSON.stringify(sort(v));
}

/** The value `fn` throws (fails the test when it returns). */
export function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}

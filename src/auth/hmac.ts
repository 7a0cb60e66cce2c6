// HMAC-SHA256 and SHA-256 for every MAC and hash the Worker computes (ticket,
// receipt and puzzle MACs, the puzzle's digest, identity keys): @noble/hashes,
// audited and synchronous, as the pre-queue's draw (src/domain/fairness.ts)
// also uses it. Each key's pads are hashed once (a keyed instance per secret,
// copied into one spare instance per MAC, which every caller reuses as all of
// this is synchronous): the least CPU per enter and claim of the candidates
// measured (bench/HISTORY.md). Conformance: test/hmac.test.ts.
import { hmac, type _HMAC } from "@noble/hashes/hmac.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

type Hmac = _HMAC<any>;

const utf8 = new TextEncoder();
const keyed = new Map<string, Hmac>();
let spare: Hmac | undefined;

function keyedFor(secret: string): Hmac {
  let k = keyed.get(secret);
  if (k === undefined) {
    // A handful of secrets per isolate (tickets, receipts' key ring, identity pepper): a bound, not an eviction policy.
    if (keyed.size >= 16) keyed.clear();
    k = hmac.create(nobleSha256, utf8.encode(secret));
    keyed.set(secret, k);
  }
  return k;
}

const bytesOf = (m: string | Uint8Array): Uint8Array => (typeof m === "string" ? utf8.encode(m) : m);

/** HMAC-SHA256 of `message` under `key`; text, of either, as its UTF-8 bytes. */
export function hmacSha256(key: string | Uint8Array, message: string | Uint8Array): Uint8Array {
  if (typeof key !== "string") return hmac(nobleSha256, key, bytesOf(message));
  spare = keyedFor(key)._cloneInto(spare);
  return spare.update(bytesOf(message)).digest();
}

/** SHA-256 of `message` (text as UTF-8). */
export function sha256(message: string | Uint8Array): Uint8Array {
  return nobleSha256(bytesOf(message));
}

/** Whether two byte strings are equal, in time that depends only on their lengths (the runtime's comparison). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && crypto.subtle.timingSafeEqual(a, b);
}

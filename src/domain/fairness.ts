// The pre-queue's verifiable shuffle. Before the pre-queue opens, Guichet
// publishes commitment = SHA-256(seed). At the opening instant every
// pre-queue ticket is numbered by sorting the tickets' public ids on
// HMAC-SHA256(key = seed, message = publicId), ascending (ties, which do not
// happen in practice, by public id). After the shuffle the seed is revealed;
// anyone can recompute the order from it and the published public ids
// (scripts/verify-shuffle.mjs, or the page /guichet/fairness).
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

const utf8 = new TextEncoder();

/** A ticket's public id: it names the ticket in the published list without being a credential. */
export function publicIdOf(ticketId: string): string {
  return sha256(utf8.encode(`guichet-prequeue|${ticketId}`)).toHex().slice(0, 32);
}

export function newSeed(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toHex();
}

/** SHA-256 of the seed's bytes, hex: published before the pre-queue opens. */
export function commitmentOf(seedHex: string): string {
  return sha256(Uint8Array.fromHex(seedHex)).toHex();
}

/** HMAC-SHA256(key = seed, message = publicId) in hex, for one seed: its pads are hashed once for the whole draw. */
function drawKeys(seedHex: string): (publicId: string) => string {
  const keyed = hmac.create(sha256, Uint8Array.fromHex(seedHex));
  return (publicId) => keyed.clone().update(utf8.encode(publicId)).digest().toHex();
}

export function drawKey(seedHex: string, publicId: string): string {
  return drawKeys(seedHex)(publicId);
}

/** The public ids in drawn order: index 0 gets number 1. */
export function drawOrder(seedHex: string, publicIds: readonly string[]): string[] {
  const keyOf = drawKeys(seedHex);
  return publicIds
    .map((id) => ({ id, key: keyOf(id) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.id);
}

/**
 * The entry puzzle's difficulty now: the operators' base, plus one bit (twice
 * the work) per doubling of arrivals beyond 6,000 a minute, at most four more.
 */
export function powDifficultyFor(base: number, autoRaise: boolean, arrivalsLastMinute: number): number {
  if (base === 0) return 0;
  const raise = autoRaise && arrivalsLastMinute > 6000 ? Math.min(4, Math.ceil(Math.log2(arrivalsLastMinute / 6000))) : 0;
  return Math.min(24, base + raise);
}

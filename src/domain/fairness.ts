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

/**
 * The entry puzzle per address. Counted arrivals from one address in a
 * minute (an enter without a solved puzzle, or a challenge fetched) up to
 * the first step ask only the event's puzzle; past each step (doublings of
 * the first) the address's own puzzle gains a bit: twice the work per
 * doubling. Past the ceiling an address is refused (429): no real shared
 * address counts that many in a minute (docs/fairness.md derives it).
 */
export const ADDRESS_STEPS = [32, 64, 128, 256, 512, 1024, 2048, 4096] as const;
export const ADDRESS_CEILING_PER_MINUTE = 8192;
/** Bits of an address's puzzle just past its first step: about 2.5 ms of a browser's hashing (bench/fairness.mjs --pow-rate). */
export const ADDRESS_FIRST_BITS = 8;

/** How many steps `count` arrivals in a minute have passed (0: none, the event's puzzle only). */
export function addressLevel(count: number): number {
  let level = 0;
  for (const step of ADDRESS_STEPS) if (count > step) level++;
  return level;
}

/**
 * The difficulty asked of an arrival: the event's (for everyone), or the
 * address's own when its level asks more. The two are not added: a busy
 * address pays the higher of the two, so an event that already asks a
 * large puzzle does not make a shared address pay it many times over.
 */
export function arrivalDifficulty(eventDifficulty: number, level: number): number {
  return Math.max(eventDifficulty, level === 0 ? 0 : ADDRESS_FIRST_BITS + level - 1);
}

// Verified ticket cookies, remembered per isolate: a candidate polls with the
// same cookie every few seconds, and the same string verifies the same way,
// so a hit skips the HMAC. Only valid tickets are kept. Two generations stand
// in for an LRU without per-entry deletes (deleting a Map's oldest entries one
// by one is slow in V8): when the young one is full it becomes the old one,
// and a hit in the old one is copied back.
import { verifyTicket, type Ticket } from "../auth/ticket";

const GENERATION = 10_000;
let secretOf = "";
let young = new Map<string, Ticket>();
let old = new Map<string, Ticket>();

function remember(value: string, ticket: Ticket): void {
  if (young.size >= GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(value, ticket);
}

/** A cookie this isolate already verified (with the same secret), or null: no await. */
export function knownTicket(secret: string, value: string): Ticket | null {
  if (secret !== secretOf) return null;
  const hit = young.get(value);
  if (hit) return hit;
  const aged = old.get(value);
  if (aged) remember(value, aged);
  return aged ?? null;
}

/**
 * `verifyTicket`, with this isolate's memory of cookies it already verified.
 * `remember: false` for a route a ticket takes once (a claim): looked up, but
 * not added, so a burst of claims does not push out the cookies that poll
 * (less CPU per claim: bench/HISTORY.md).
 */
export function verifyTicketCached(secret: string, value: string, { remember: keep = true } = {}): Ticket | null {
  if (secret !== secretOf) {
    young = new Map();
    old = new Map();
    secretOf = secret;
  }
  const hit = knownTicket(secret, value);
  if (hit) return hit;
  const ticket = verifyTicket(secret, value);
  if (ticket && keep) remember(value, ticket);
  return ticket;
}

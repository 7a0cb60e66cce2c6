// Verified ticket cookies, remembered per isolate: a candidate polls with the
// same cookie every few seconds, and the same string verifies the same way,
// so a hit skips the HMAC. Only valid tickets are kept; the oldest go first.
import { verifyTicket, type Ticket } from "./auth/ticket";

const MAX_ENTRIES = 10_000;
let secretOf = "";
const verified = new Map<string, Ticket>();

/** A cookie this isolate already verified (with the same secret), or null: no await. */
export function knownTicket(secret: string, value: string): Ticket | null {
  return secret === secretOf ? (verified.get(value) ?? null) : null;
}

/** `verifyTicket`, with this isolate's memory of cookies it already verified. */
export async function verifyTicketCached(secret: string, value: string): Promise<Ticket | null> {
  if (secret !== secretOf) {
    verified.clear();
    secretOf = secret;
  }
  const hit = verified.get(value);
  if (hit) return hit;
  const ticket = await verifyTicket(secret, value);
  if (ticket) {
    if (verified.size >= MAX_ENTRIES) verified.delete(verified.keys().next().value!);
    verified.set(value, ticket);
  }
  return ticket;
}

// Receipt tokens: `r1.<event>.<submissionId>.<mac>`, HMAC-signed with
// TICKET_HMAC_KEY under their own prefix. Deterministic, so a retried
// submission returns exactly the original receipt.
import { hmac, hmacMatches } from "./ticket";

const payload = (eventId: string, id: string) => `r1|${eventId}|${id}`;

export function receiptToken(secret: string, eventId: string, id: string): string {
  return `r1.${eventId}.${id}.${hmac(secret, payload(eventId, id))}`;
}

export function verifyReceiptToken(secret: string, token: string): { eventId: string; id: string } | null {
  const parts = token.split(".");
  if (parts.length !== 4 || parts[0] !== "r1" || token.length > 300) return null;
  const [, eventId, id, mac] = parts as [string, string, string, string];
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(eventId) || !/^[0-9a-f-]{36}$/.test(id)) return null;
  return hmacMatches(secret, payload(eventId, id), mac) ? { eventId, id } : null;
}

// src/line/ticket-cache.ts: verified cookies are remembered per isolate (a poll's
// hot path), a claim's are looked up but not added, and nothing unverified is
// ever remembered.
import { describe, expect, it } from "vitest";
import { newTicketId, signTicket } from "../src/auth/ticket";
import { knownTicket, verifyTicketCached } from "../src/line/ticket-cache";

const SECRET = "cache-test-secret-0123456789abcdef";
const cookie = (number: number) => signTicket(SECRET, { event: "cache-test", ticketId: newTicketId(), number });

describe("verifyTicketCached", () => {
  it("remembers a verified cookie, so the next poll needs no HMAC", () => {
    const value = cookie(1);
    expect(knownTicket(SECRET, value)).toBeNull();
    expect(verifyTicketCached(SECRET, value)?.number).toBe(1);
    expect(knownTicket(SECRET, value)?.number).toBe(1);
  });

  it("does not add a cookie verified with remember: false, but finds one already remembered", () => {
    const claimOnly = cookie(2);
    expect(verifyTicketCached(SECRET, claimOnly, { remember: false })?.number).toBe(2);
    expect(knownTicket(SECRET, claimOnly)).toBeNull();
    const polled = cookie(3);
    verifyTicketCached(SECRET, polled);
    expect(verifyTicketCached(SECRET, polled, { remember: false })?.number).toBe(3);
    expect(knownTicket(SECRET, polled)?.number).toBe(3);
  });

  it("never remembers a tampered cookie, nor answers for another secret", () => {
    const value = cookie(4);
    const tampered = value.replace(".4.", ".5.");
    expect(verifyTicketCached(SECRET, tampered)).toBeNull();
    expect(knownTicket(SECRET, tampered)).toBeNull();
    verifyTicketCached(SECRET, value);
    expect(knownTicket("another-secret", value)).toBeNull();
    expect(verifyTicketCached("another-secret", value)).toBeNull();
  });
});

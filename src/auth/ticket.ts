// The ticket cookie: `<event>.<ticketId>.<number>.<mac>`, HMAC-SHA256 with
// TICKET_HMAC_KEY. Verifying it is one HMAC, cheap enough for every poll.

import { createHmac, timingSafeEqual } from "node:crypto";

export const TICKET_COOKIE = "guichet_ticket";

export interface Ticket {
  event: string;
  ticketId: string;
  /** The number in the line; 0 while the ticket waits in the pre-queue for the draw. */
  number: number;
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A fresh ticket id: 128 random bits. */
export function newTicketId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

function payload(t: Ticket): string {
  return `t1|${t.event}|${t.ticketId}|${t.number}`;
}

// The MACs are computed with node:crypto (nodejs_compat): the same HMAC-SHA256
// as WebCrypto's, but synchronous, so a poll whose cookie this isolate has not
// seen yet does not wait for a promise from the runtime (~50 µs of workerd CPU
// each at 100,000 tickets; `npm run bench -- --growth`).

/** HMAC-SHA256 of `text` with `secret`, base64url. */
export async function hmac(secret: string, text: string): Promise<string> {
  if (!secret) throw new Error("TICKET_HMAC_KEY is not set");
  return createHmac("sha256", secret).update(text).digest("base64url");
}

/** Whether `macText` is the HMAC of `text` (compared in constant time). */
export async function hmacMatches(secret: string, text: string, macText: string): Promise<boolean> {
  if (!secret) throw new Error("TICKET_HMAC_KEY is not set");
  const mac = fromBase64url(macText);
  if (!mac || mac.length !== 32) return false;
  return timingSafeEqual(createHmac("sha256", secret).update(text).digest(), mac);
}

export async function signTicket(secret: string, t: Ticket): Promise<string> {
  return `${t.event}.${t.ticketId}.${t.number}.${await hmac(secret, payload(t))}`;
}

/** The ticket if its MAC is right, else null (tampered, truncated, or another key's). */
export async function verifyTicket(secret: string, value: string): Promise<Ticket | null> {
  if (value.length > 200) return null;
  const parts = value.split(".");
  if (parts.length !== 4) return null;
  const [event, ticketId, numberText, macText] = parts as [string, string, string, string];
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(event) || !/^[A-Za-z0-9_-]{22}$/.test(ticketId) || !/^(0|[1-9]\d{0,9})$/.test(numberText)) return null;
  const t: Ticket = { event, ticketId, number: Number(numberText) };
  return (await hmacMatches(secret, payload(t), macText)) ? t : null;
}

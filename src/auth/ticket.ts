// The ticket cookie: `<event>.<ticketId>.<number>.<mac>`, HMAC-SHA256 with
// TICKET_HMAC_KEY. Verifying it is one HMAC, cheap enough for every poll.

import { hmacSha256, sameBytes } from "./hmac";

export const TICKET_COOKIE = "guichet_ticket";

export interface Ticket {
  event: string;
  ticketId: string;
  /** The number in the line; 0 while the ticket waits in the pre-queue for the draw. */
  number: number;
}

/** `bytes` in unpadded base64url, by the platform's encoder (a flat string, which a header or body takes as it is). */
export function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Unpadded base64url: the characters fromBase64 would otherwise skip (whitespace) or accept (padding) are refused first. */
const UNPADDED_BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The bytes of unpadded base64url `s`, or null if it is not that (a stray
 * character, an impossible length, or bits left over that are not zero: one
 * text per byte string). The platform's decoder, strict: it wants the
 * padding, which is added here.
 */
function fromBase64url(s: string): Uint8Array | null {
  if (!UNPADDED_BASE64URL.test(s)) return null;
  try {
    return Uint8Array.fromBase64(s + "==".slice(0, (4 - (s.length % 4)) % 4), { alphabet: "base64url", lastChunkHandling: "strict" });
  } catch {
    return null;
  }
}

// Ticket ids are written in base64url's 64 characters taken in ASCII order,
// so that ids sort as their bytes do.
const SORTED64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/** `bytes` in base64 without padding, written with SORTED64 (the runtime's encoder knows only the standard alphabets). */
function sortedBase64(bytes: Uint8Array): string {
  const alphabet = SORTED64;
  let s = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  if (i + 1 === bytes.length) {
    const n = bytes[i]! << 16;
    s += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]!;
  } else if (i + 2 === bytes.length) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]!;
  }
  return s;
}

// Random bytes are drawn from the system's generator 4 KiB at a time (a
// call into the runtime per id costs more than the bytes); each byte is
// handed out once.
const RANDOM_POOL = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

function randomBytes(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL));
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

/**
 * 16 bytes: the millisecond `now` (48 bits, big-endian), then random bytes.
 * Ids drawn close in time sort close together, so an index on them grows at
 * its right edge: a batch dirties one or two index pages rather than one per
 * id (bench/HISTORY.md). The id tells when it was drawn, which the number of
 * its ticket or admission already does.
 */
function timeOrderedBytes(now: number): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes.set(randomBytes(10), 6);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  return bytes;
}

/** A fresh ticket id, 22 characters: the millisecond, then 80 random bits. */
export function newTicketId(now = Date.now()): string {
  return sortedBase64(timeOrderedBytes(now));
}

/** An admission's id (`jti`): a UUID of version 7, the millisecond then 74 random bits. */
export function newJti(now = Date.now()): string {
  const b = timeOrderedBytes(now);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toHex();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function payload(t: Ticket): string {
  return `t1|${t.event}|${t.ticketId}|${t.number}`;
}

const encoder = new TextEncoder();

// What is MACed, encoded or signed here is ASCII (tickets, puzzles, a token's
// claims and signing input): written into a scratch buffer directly, without
// a call into the runtime or a new ArrayBuffer; anything else, by
// TextEncoder. The buffer is read before anything else can run: every caller
// is synchronous, or copies it at once (WebCrypto's sign).
const scratch = new Uint8Array(1024);

/** `text`'s UTF-8 bytes, valid until the next call. */
export function bytesOf(text: string): Uint8Array {
  if (text.length > scratch.length) return encoder.encode(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return encoder.encode(text);
    scratch[i] = code;
  }
  return scratch.subarray(0, text.length);
}

/** base64url of `text`'s UTF-8 bytes. */
export function base64urlOfText(text: string): string {
  return base64url(bytesOf(text));
}

// Most polls reach no MAC: src/line/ticket-cache.ts remembers the cookies this isolate verified.

/** HMAC-SHA256 of `text` with `secret`, base64url. */
export function hmac(secret: string, text: string): string {
  return base64url(hmacSha256(macSecret(secret), bytesOf(text)));
}

/** Whether `macText` is the HMAC of `text` (compared in constant time). */
export function hmacMatches(secret: string, text: string, macText: string): boolean {
  const mac = fromBase64url(macText);
  if (!mac || mac.length !== 32) return false;
  return sameBytes(hmacSha256(macSecret(secret), bytesOf(text)), mac);
}

function macSecret(secret: string): string {
  if (!secret) throw new Error("TICKET_HMAC_KEY is not set");
  return secret;
}

export function signTicket(secret: string, t: Ticket): string {
  return `${t.event}.${t.ticketId}.${t.number}.${hmac(secret, payload(t))}`;
}

/** `<event>.<ticketId>.<number>.<mac>`, each part checked in one pass (a split and four patterns cost more). */
const TICKET_VALUE = /^([a-z0-9][a-z0-9-]{0,62})\.([A-Za-z0-9_-]{22})\.(0|[1-9]\d{0,9})\.([A-Za-z0-9_-]{43})$/;

/** The ticket if its MAC is right, else null (tampered, truncated, or another key's). */
export function verifyTicket(secret: string, value: string): Ticket | null {
  if (value.length > 200) return null;
  const m = TICKET_VALUE.exec(value);
  if (!m) return null;
  const t: Ticket = { event: m[1]!, ticketId: m[2]!, number: Number(m[3]) };
  return hmacMatches(secret, payload(t), m[4]!) ? t : null;
}

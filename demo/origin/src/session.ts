// The login session: a cookie `mpq_session` = base64url(JSON).HMAC-SHA256
// (SESSION_KEY). Nothing stored server side. A session belongs to one
// admission (its `jti`) and ends with it: a new turn in the line means a new
// login, as the announcement asks ("10 minutes pour entrer son identifiant,
// son mot de passe, les réponses aux questions de sécurité et soumettre").
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "mpq_session";

export interface Session {
  accountId: string;
  /** "password": the password was right, the security questions come next. "ok": logged in. */
  step: "password" | "ok";
  /** The admission this session belongs to. */
  jti: string;
  /** The event of that admission. */
  evt: string;
  /** Expiry, epoch seconds (the admission's). */
  exp: number;
}

const encoder = new TextEncoder();

function toBase64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hmacKey(secret: string): Promise<CryptoKey> {
  if (!secret) throw new Error("SESSION_KEY is not set");
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function signSession(secret: string, session: Session): Promise<string> {
  const body = toBase64url(encoder.encode(JSON.stringify(session)));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`s1|${body}`));
  return `${body}.${toBase64url(new Uint8Array(mac))}`;
}

/** The session in this cookie value, or null when tampered, malformed or expired. */
export async function verifySession(secret: string, value: string | undefined, now = Date.now()): Promise<Session | null> {
  if (!value || value.length > 2048) return null;
  const [body, macText, extra] = value.split(".");
  if (!body || !macText || extra !== undefined) return null;
  const mac = fromBase64url(macText);
  if (!mac || mac.length !== 32) return null;
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, encoder.encode(`s1|${body}`)))) return null;
  const bytes = fromBase64url(body);
  if (!bytes) return null;
  let s: Partial<Session>;
  try {
    s = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Session>;
  } catch {
    return null;
  }
  if (typeof s.accountId !== "string" || (s.step !== "password" && s.step !== "ok") || typeof s.jti !== "string" || typeof s.evt !== "string" || typeof s.exp !== "number") return null;
  if (s.exp * 1000 <= now) return null;
  return s as Session;
}

export async function readSession(c: Context, secret: string): Promise<Session | null> {
  return verifySession(secret, getCookie(c, SESSION_COOKIE));
}

export async function writeSession(c: Context, secret: string, session: Session): Promise<void> {
  setCookie(c, SESSION_COOKIE, await signSession(secret, session), {
    path: "/",
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    maxAge: Math.max(1, session.exp - Math.floor(Date.now() / 1000)),
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
}

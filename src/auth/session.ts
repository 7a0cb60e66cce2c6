// The pre-opening session: before opening day, an account holder passes to
// the protected paths with a 60-minute session issued on first visit ("1 heure
// pour compléter et mettre à jour"). `s1.<event>.<id>.<expiresAt>.<mac>`.
import { hmac, hmacMatches, newTicketId } from "./ticket";

export const SESSION_COOKIE = "guichet_session";
export const SESSION_SECONDS = 3600;

export interface Session {
  event: string;
  id: string;
  expiresAt: number;
}

const payload = (s: Session) => `s1|${s.event}|${s.id}|${s.expiresAt}`;

export async function newSession(secret: string, event: string, now: number): Promise<{ session: Session; cookie: string }> {
  const session = { event, id: newTicketId(), expiresAt: now + SESSION_SECONDS * 1000 };
  return { session, cookie: `s1.${event}.${session.id}.${session.expiresAt}.${await hmac(secret, payload(session))}` };
}

/** The session if authentic, for this event, and not expired at `now`; else null. */
export async function verifySession(secret: string, value: string, event: string, now: number): Promise<Session | null> {
  const parts = value.split(".");
  if (parts.length !== 5 || parts[0] !== "s1" || value.length > 200) return null;
  const [, ev, id, expires, mac] = parts as [string, string, string, string, string];
  if (ev !== event || !/^[A-Za-z0-9_-]{22}$/.test(id) || !/^\d{13}$/.test(expires)) return null;
  const session = { event: ev, id, expiresAt: Number(expires) };
  if (session.expiresAt <= now) return null;
  return (await hmacMatches(secret, payload(session), mac)) ? session : null;
}

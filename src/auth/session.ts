// The pre-opening session: before opening day (and once the intake is
// closed) an account holder passes to the protected paths with a 60-minute
// session issued on first visit ("1 heure pour compléter et mettre à jour").
// It is a token like an admission (ES256, same claims, so an origin verifies
// both the same way) with `scope: "session"` and `num: 0`; the gateway never
// takes it as an admission: not at the proxy while the line runs, never at
// the submissions API.
import { signAdmission, verifyAdmission, AdmissionError, type AdmissionClaims, type KeyEnv } from "./admission";
import { newTicketId } from "./ticket";
import type { DeviceClass } from "../domain/device";

export const SESSION_COOKIE = "guichet_session";
export const SESSION_SECONDS = 3600;

export async function newSession(env: KeyEnv, event: string, dev: DeviceClass, now: number, issuer: string, audience: string) {
  const iat = Math.floor(now / 1000);
  const id = newTicketId();
  const token = await signAdmission(env, { sub: id, jti: id, iat, exp: iat + SESSION_SECONDS, evt: event, num: 0, dev, scope: "session" }, issuer, audience);
  return { token, claims: { sub: id, exp: iat + SESSION_SECONDS } };
}

/** The session's claims if the cookie holds a live session token for this event; else null. */
export async function verifySession(env: KeyEnv, token: string, event: string, issuer: string, audience: string, now: number): Promise<AdmissionClaims | null> {
  try {
    const claims = await verifyAdmission(env, token, issuer, audience, now, { session: true });
    return claims.evt === event ? claims : null;
  } catch (e) {
    if (e instanceof AdmissionError) return null;
    throw e;
  }
}

// What every gateway route reads off a request: the app's types, the event a
// request is about, the tokens' issuer and audience, the client's device.
import type { Context } from "hono";
import { ApiError, type Lang } from "./errors";
import { classifyDevice } from "../domain/device";
import { ConfigError, defaultEventId, EVENT_ID } from "../domain/event";
import { isDevelopment } from "./config-check";

export interface AppEnv {
  Bindings: Env;
  /** `actor`: the authenticated operator, set by the ops routes' middleware. */
  Variables: { lang: Lang; actor: string };
}
export type AppContext = Context<AppEnv>;

/** The event a candidate request is about: `?event=` or the default event. */
export function eventIdOf(c: AppContext): string {
  const id = c.req.query("event") ?? defaultEventId(c.env);
  if (!EVENT_ID.test(id)) throw new ApiError(404, "unknown_event");
  return id;
}

/** The tokens' `iss`: GATEWAY_ISSUER, or in development this gateway's own origin. */
export function issuerOf(c: AppContext): string {
  if (c.env.GATEWAY_ISSUER) return c.env.GATEWAY_ISSUER;
  // A request's Host is the client's to choose: a deployed gateway never signs under it (src/http/config-check.ts refuses to serve first).
  if (!isDevelopment(c.env)) throw new ConfigError("GATEWAY_ISSUER is not set");
  return new URL(c.req.url).origin;
}

export function audienceOf(env: Env): string {
  return env.ADMISSION_AUDIENCE || "mpq-origin";
}

/**
 * The header in which the room page tells its touch points
 * (`navigator.maxTouchPoints`, which tells an iPad presenting itself as a Mac)
 * so that a claim needs no request body: reading even a small body costs the
 * gateway more than a whole status poll (bench/HISTORY.md).
 */
export const TOUCH_POINTS_HEADER = "X-Guichet-Touch-Points";

/** The touch points the client told: the body's field, else the header; 400 invalid_header for a header that is not 0 to 256. */
export function touchPointsOf(c: AppContext, fromBody: number | undefined): number | undefined {
  if (fromBody !== undefined) return fromBody;
  const raw = c.req.header(TOUCH_POINTS_HEADER);
  if (raw === undefined) return undefined;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n <= 256)) throw new ApiError(400, "invalid_header", { field: TOUCH_POINTS_HEADER });
  return n;
}

// The last few device readings: a poll repeats its browser's headers, and the regexes are not free.
const devices = new Map<string, ReturnType<typeof classifyDevice>>();

/** The device class this request shows (user agent, client hints, the page's touch points). */
export function deviceOfRequest(c: AppContext, touchPoints?: number) {
  const hints = {
    userAgent: c.req.header("user-agent"),
    mobileHint: c.req.header("sec-ch-ua-mobile"),
    platformHint: c.req.header("sec-ch-ua-platform"),
    touchPoints,
  };
  const key = `${hints.userAgent}|${hints.mobileHint}|${hints.platformHint}|${touchPoints}`;
  let device = devices.get(key);
  if (device === undefined) {
    device = classifyDevice(hints);
    if (devices.size >= 1000) devices.clear();
    devices.set(key, device);
  }
  return device;
}

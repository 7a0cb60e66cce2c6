// HTTP conventions shared by the gateway's own routes: the app's types, the
// event a request is about, the issuer, security and cache headers.
import type { Context, MiddlewareHandler } from "hono";
import { ApiError, langOf, type Lang } from "./errors";
import { classifyDevice } from "./domain/device";
import { ConfigError, EVENT_ID } from "./domain/event";
import { isDevelopment } from "./config";

export interface AppEnv {
  Bindings: Env;
  /** `actor`: the authenticated operator, set by the ops routes' middleware. */
  Variables: { lang: Lang; actor: string };
}
export type AppContext = Context<AppEnv>;

/** The event a candidate request is about: `?event=` or the default event. */
export function eventIdOf(c: AppContext): string {
  const id = c.req.query("event") ?? c.env.EVENT_ID ?? "csq-2016-06";
  if (!EVENT_ID.test(id)) throw new ApiError(404, "unknown_event");
  return id;
}

/** The tokens' `iss`: GATEWAY_ISSUER, or in development this gateway's own origin. */
export function issuerOf(c: AppContext): string {
  if (c.env.GATEWAY_ISSUER) return c.env.GATEWAY_ISSUER;
  // A request's Host is the client's to choose: a deployed gateway never signs under it (src/config.ts refuses to serve first).
  if (!isDevelopment(c.env)) throw new ConfigError("GATEWAY_ISSUER is not set");
  return new URL(c.req.url).origin;
}

export function audienceOf(env: Env): string {
  return env.ADMISSION_AUDIENCE || "mpq-origin";
}

/** Language of the answer, and the security headers every gateway response carries. */
export const gatewayHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("lang", langOf(c));
  await next();
  const h = c.res.headers;
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "strict-origin-when-cross-origin");
  h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  h.set("X-Frame-Options", "DENY");
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  h.set("Cross-Origin-Opener-Policy", "same-origin");
  h.set("Cross-Origin-Resource-Policy", "same-origin");
};

/**
 * Refuses state-changing browser requests that come from another site: the
 * Origin header, when sent, must be this gateway's own (SameSite=Lax cookies
 * are the second line).
 */
export const sameOrigin: MiddlewareHandler<AppEnv> = (c, next) => {
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  if (site === "cross-site" || (origin !== undefined && !isOriginOf(origin, c.req.url))) {
    throw new ApiError(403, "bad_origin");
  }
  // Not async: nothing to await here, and every enter and claim passes by (one promise less each).
  return next();
};

/**
 * Whether `origin` (an Origin header) is `url`'s origin. A browser sends
 * Origin with every POST, so the usual case, the URL beginning with the
 * origin and a slash, is told without parsing the URL; anything else (a
 * default port written out, say) is decided by the URL's own origin.
 */
function isOriginOf(origin: string, url: string): boolean {
  // The prefix must hold a whole scheme and host ("https:" alone must not pass), then the URL's path begins.
  const host = origin.indexOf("://") + 3;
  if (host > 3 && origin.indexOf("/", host) === -1 && url.charCodeAt(origin.length) === 47 /* "/" */ && url.startsWith(origin)) return true;
  return origin === new URL(url).origin;
}

/** The prefix that pins a cookie to this host, HTTPS and `Path=/`: a sibling subdomain can neither set nor replace it. */
export const HOST_PREFIX = "__Host-";

/**
 * Whether the request came over plain HTTP to this machine (`wrangler dev`):
 * there our cookies go without prefix and without Secure, which cookie jars
 * outside browsers (Python, Java, .NET) drop on http. Serialised URLs have a
 * lowercase scheme and host, so a few string comparisons decide it.
 */
function onLocalHttp(url: string): boolean {
  if (!url.startsWith("http://")) return false;
  const host = url.startsWith("localhost", 7) ? 16 : url.startsWith("127.0.0.1", 7) ? 16 : url.startsWith("[::1]", 7) ? 12 : -1;
  if (host === -1) return false;
  const next = url.charCodeAt(host);
  return next === 58 /* : */ || next === 47 /* / */ || Number.isNaN(next);
}

/**
 * The name our cookie `base` (e.g. `guichet_ticket`) has on this request:
 * `__Host-guichet_ticket` everywhere but plain HTTP to localhost, where it is
 * `guichet_ticket`. Each request reads and sets only this one name.
 */
export function cookieName(c: Context, base: string): string {
  return onLocalHttp(c.req.url) ? base : HOST_PREFIX + base;
}

/**
 * The value of our cookie `base` (named as cookieName says) in the request,
 * or undefined. Our cookies' values need no decoding (signed tickets, JWS),
 * and every hot route reads one: a direct scan of the header costs a fraction
 * of hono's getCookie, which parses, checks and URI-decodes every cookie the
 * browser sends. The value is checked by whoever verifies it.
 */
export function cookieValue(c: Context, base: string): string | undefined {
  const header = c.req.raw.headers.get("cookie");
  if (!header) return undefined;
  const wanted = `${cookieName(c, base)}=`;
  for (let at = header.indexOf(wanted); at !== -1; at = header.indexOf(wanted, at + 1)) {
    // A whole name only: at the start, or after "; " or ";" (not the tail of another name).
    let before = at - 1;
    while (before >= 0 && (header[before] === " " || header[before] === "\t")) before--;
    if (before >= 0 && header[before] !== ";") continue;
    const start = at + wanted.length;
    const end = header.indexOf(";", start);
    const value = (end === -1 ? header.slice(start) : header.slice(start, end)).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}

/**
 * A Set-Cookie value for our cookie `base`: host-only (`__Host-`, no
 * Domain), every path, not for scripts, HTTPS only, sent on top-level
 * navigations; on plain HTTP to localhost, unprefixed and without Secure
 * (cookieName). The value is written as it is: signed tickets and JWS have
 * no character to escape (the pair of `cookieValue`; hono's serializer
 * URI-encoded 600-character tokens). Max-Age 0 with an empty value clears it.
 */
export function cookieHeader(c: Context, base: string, value: string, maxAgeSeconds: number): string {
  return onLocalHttp(c.req.url)
    ? `${base}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Lax`
    : `${HOST_PREFIX}${base}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Lax`;
}

/**
 * Whether a cookie name is one of `bases` under any spelling an origin's
 * framework may fold onto it: any case, with `__Host-` or `__Secure-`
 * prefixes, percent-encoded, or with `.`, `-`, `[` or a space for `_` (PHP
 * turns `.`, space and `[` into `_`).
 */
export function isCookieNamed(name: string, bases: ReadonlySet<string>): boolean {
  let n = name.trim().toLowerCase();
  if (n.includes("%")) {
    try {
      n = decodeURIComponent(n);
    } catch {
      // Not an escape: the name as it is.
    }
  }
  for (;;) {
    const unprefixed = n.replace(/^__(host|secure)-/, "");
    if (unprefixed === n) break;
    n = unprefixed;
  }
  return bases.has(n.replace(/[.\-\[ ]/g, "_"));
}

/**
 * The header in which the room page tells its touch points
 * (`navigator.maxTouchPoints`, which tells an iPad presenting itself as a Mac)
 * so that a claim needs no request body: reading even a small body costs the
 * gateway more than a whole status poll (bench/HISTORY.md, round 13).
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

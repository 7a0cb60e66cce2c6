// The security headers every gateway response carries, and the same-origin
// check on state-changing browser requests.
import type { MiddlewareHandler } from "hono";
import { ApiError, langOf } from "./errors";
import type { AppEnv } from "./context";

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

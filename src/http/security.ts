// The security headers every gateway response carries, the pages' CSP and
// its nonce, and the same-origin check on state-changing browser requests.
import type { MiddlewareHandler } from "hono";
import { ApiError, langOf } from "./errors";
import type { AppEnv } from "./context";

/**
 * The headers every response the gateway writes itself carries: the routes'
 * (gatewayHeaders) and the proxy's notice pages (pages/notice.tsx).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const SECURITY_ENTRIES = Object.entries(SECURITY_HEADERS);

/** Language of the answer, and the security headers every gateway response carries. */
export const gatewayHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("lang", langOf(c));
  await next();
  const h = c.res.headers;
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  for (const [name, value] of SECURITY_ENTRIES) h.set(name, value);
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
};

/** A fresh nonce for one response's Content-Security-Policy: 128 random bits, base64. */
export function cspNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** What a page loads beyond its own nonced scripts and styles; each list is a CSP source list. */
export interface PageNeeds {
  /** The page runs scripts: those with its nonce (and their imports), and from these sources. */
  scripts?: string[];
  /** Styles from these sources besides those with the nonce. */
  styles?: string[];
  workers?: string[];
  frames?: string[];
  connect?: string[];
  images?: string[];
  /** Where its forms may post; nowhere when absent. */
  forms?: string[];
  /** The one Trusted Types policy its script may create; Trusted Types required when set. */
  trustedTypes?: string;
}

/**
 * The Content-Security-Policy of a gateway page: nothing is allowed but what
 * the page names, scripts and styles only with this response's nonce, and no
 * page may be framed or change its base URL.
 */
export function pageCsp(nonce: string, needs: PageNeeds): string {
  const sources = (directive: string, list: string[] | undefined, nonced = false) =>
    list === undefined ? [] : [[directive, ...(nonced ? [`'nonce-${nonce}'`] : []), ...list].join(" ")];
  return [
    "default-src 'none'",
    ...sources("script-src", needs.scripts, true),
    ...sources("worker-src", needs.workers),
    ...sources("frame-src", needs.frames),
    ...sources("style-src", needs.styles ?? [], true),
    ...sources("connect-src", needs.connect),
    ...sources("img-src", needs.images),
    "base-uri 'none'",
    `form-action ${needs.forms?.join(" ") ?? "'none'"}`,
    "frame-ancestors 'none'",
    ...(needs.trustedTypes === undefined ? [] : ["require-trusted-types-for 'script'", `trusted-types ${needs.trustedTypes}`]),
  ].join("; ");
}

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

// Our cookies (ticket, admission, session): their names on this request, how
// they are read and set, and how any spelling of them is recognised.
import type { Context } from "hono";

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
 * would URI-encode 600-character tokens). Max-Age 0 with an empty value clears it.
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

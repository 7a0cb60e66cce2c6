// The per-address limit on enters and claims (ENTER_LIMIT_PER_MINUTE, 0 = off).
// In production the Workers Rate Limiting binding ENTER_LIMITER counts across
// a Cloudflare location; each isolate also keeps an exact one-minute window,
// which is the whole limit wherever the binding is not bound. The default
// (120 a minute) lets a law office bring dozens of candidates from one address.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { AppEnv } from "./context";

const WINDOW_MS = 60_000;
/** Most addresses one isolate counts at once; past it the oldest windows are dropped first. */
export const MAX_COUNTED_ADDRESSES = 50_000;

interface Window {
  startedAt: number;
  count: number;
}
// A Map iterates in insertion order, and a window is (re)inserted when it starts:
// the first entries are always the oldest windows.
const windows = new Map<string, Window>();

/** A dotted-quad IPv4 address, as Cloudflare writes cf-connecting-ip. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The client's address as counted: an IPv4 address as it is; an IPv6 address
 * as its /64 (one household or office), written out in full so that every
 * spelling of one network is one key; an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`) as its IPv4 address. Anything else is one shared key.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return "local";
  if (IPV4.test(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return "unknown";
  if (groups.slice(0, 5).every((g) => g === "0000") && groups[5] === "ffff") {
    const v4 = parseInt(groups[6]! + groups[7]!, 16);
    return [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join(".");
  }
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/**
 * The eight 4-digit groups of an IPv6 address, or null. The URL parser
 * (WHATWG) validates and canonicalises it (lower case, no leading zeros, an
 * embedded IPv4 as two groups, the longest zero run as `::`); only that
 * canonical form's `::` is expanded here. A zone id (`%eth0`) is dropped.
 */
function ipv6Groups(ip: string): string[] | null {
  const bare = ip.split("%", 1)[0]!;
  // Only address characters: the bracketed host must not be able to end early.
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(bare)) return null;
  let host: string;
  try {
    host = new URL(`http://[${bare}]/`).hostname;
  } catch {
    return null;
  }
  const [head, tail] = host.slice(1, -1).split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, "0"));
}

/** Counts one request for `key` in this isolate's window; returns seconds to wait, or 0 if allowed. */
export function countLocally(key: string, limit: number, now: number): number {
  let w = windows.get(key);
  if (!w || now - w.startedAt >= WINDOW_MS) {
    // A renewed window goes to the end, so the map stays ordered by window start.
    if (w) windows.delete(key);
    else if (windows.size >= MAX_COUNTED_ADDRESSES) dropOldest(now);
    w = { startedAt: now, count: 0 };
    windows.set(key, w);
  }
  w.count += 1;
  return w.count > limit ? Math.max(1, Math.ceil((w.startedAt + WINDOW_MS - now) / 1000)) : 0;
}

/** Drops the windows that are over, then the oldest ones until there is room for one more. */
function dropOldest(now: number): void {
  for (const [key, w] of windows) {
    if (windows.size < MAX_COUNTED_ADDRESSES && now - w.startedAt < WINDOW_MS) return;
    windows.delete(key);
  }
}

function rateLimited(retryAfter: number): ApiError {
  return new ApiError(429, "rate_limited", { retryAfterSeconds: retryAfter }, { "Retry-After": String(retryAfter) });
}

/** Not async: with no binding to ask (or no limit), nothing is awaited here, and every enter and claim passes by. */
export const perClientLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const limit = Number(c.env.ENTER_LIMIT_PER_MINUTE ?? "120");
  if (!(limit > 0)) return next();
  const key = clientKey(c.req.header("cf-connecting-ip"));
  const retryAfter = countLocally(key, limit, Date.now());
  if (retryAfter > 0) throw rateLimited(retryAfter);
  if (!c.env.ENTER_LIMITER) return next();
  return c.env.ENTER_LIMITER.limit({ key }).then(({ success }) => {
    if (!success) throw rateLimited(60);
    return next();
  });
};

// The per-address limit on enters and claims (ENTER_LIMIT_PER_MINUTE, 0 = off).
// In production the Workers Rate Limiting binding ENTER_LIMITER counts across
// a Cloudflare location; each isolate also keeps an exact one-minute window,
// which is the whole limit wherever the binding is not bound. The default
// (120 a minute) lets a law office bring dozens of candidates from one address.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { AppEnv } from "./http";

const WINDOW_MS = 60_000;
const MAX_KEYS = 50_000;

interface Window {
  startedAt: number;
  count: number;
}
const windows = new Map<string, Window>();

/** The client's address; an IPv6 address counts as its /64 (one household or office). */
export function clientKey(ip: string | undefined): string {
  if (!ip) return "local";
  if (!ip.includes(":")) return ip;
  return ip.split(":").slice(0, 4).join(":") + "::/64";
}

/** Counts one request for `key` in this isolate's window; returns seconds to wait, or 0 if allowed. */
export function countLocally(key: string, limit: number, now: number): number {
  let w = windows.get(key);
  if (!w || now - w.startedAt >= WINDOW_MS) {
    if (windows.size >= MAX_KEYS) windows.clear();
    w = { startedAt: now, count: 0 };
    windows.set(key, w);
  }
  w.count += 1;
  return w.count > limit ? Math.max(1, Math.ceil((w.startedAt + WINDOW_MS - now) / 1000)) : 0;
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

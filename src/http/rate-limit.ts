// Arrivals counted per client address (ENTER_LIMIT_PER_MINUTE, 0 = off).
// Many candidates share one address (carrier NAT, a university, a law
// office), so a busy address is asked a harder entry puzzle rather than
// refused: its level (src/domain/fairness.ts) is how many doublings past
// the free allowance it has come in a minute, and only past the ceiling is
// it refused. The Workers Rate Limiting bindings count across a Cloudflare
// location (one binding per doubling: the number that refuse is the level);
// each isolate also keeps an exact one-minute window, which is the whole
// count wherever the bindings are not bound, and the higher of the two is
// taken. Claims are not counted: a claim needs a called ticket.
import { ADDRESS_CEILING_PER_MINUTE, ADDRESS_STEPS, addressLevel } from "../domain/fairness";
import { hmacSha256 } from "../auth/hmac";
import { isDevelopment } from "./config-check";
import { ApiError } from "./errors";
import type { AppContext } from "./context";

const WINDOW_MS = 60_000;
/** Most addresses one isolate counts at once; past it the oldest windows are dropped first. */
export const MAX_COUNTED_ADDRESSES = 50_000;
/** Sessions before opening day per address a minute (src/routes/proxy.ts): each costs an ES256 signature. */
export const SESSIONS_PER_MINUTE = 120;

/** The binding that refuses past each of ADDRESS_STEPS, in order (wrangler.toml's [[ratelimits]]). */
const STEP_BINDINGS = ADDRESS_STEPS.map((step) => `ENTER_OVER_${step}` as const);

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

/** Counts one request for `key` in this isolate's window; returns the window with this request counted. */
function countInWindow(key: string, now: number): Window {
  let w = windows.get(key);
  if (!w || now - w.startedAt >= WINDOW_MS) {
    // A renewed window goes to the end, so the map stays ordered by window start.
    if (w) windows.delete(key);
    else if (windows.size >= MAX_COUNTED_ADDRESSES) dropOldest(now);
    w = { startedAt: now, count: 0 };
    windows.set(key, w);
  }
  w.count += 1;
  return w;
}

/** Seconds until `w` ends, at least 1. */
function secondsLeft(w: Window, now: number): number {
  return Math.max(1, Math.ceil((w.startedAt + WINDOW_MS - now) / 1000));
}

/** Counts one request for `key` in this isolate's window; returns seconds to wait, or 0 if allowed. */
export function countLocally(key: string, limit: number, now: number): number {
  const w = countInWindow(key, now);
  return w.count > limit ? secondsLeft(w, now) : 0;
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

/** The ceiling on counted arrivals per address a minute; 0: arrivals are not counted at all. */
export function enterCeiling(env: Env): number {
  const limit = Number(env.ENTER_LIMIT_PER_MINUTE ?? ADDRESS_CEILING_PER_MINUTE);
  return limit > 0 ? limit : 0;
}

/** Sessions per address a minute before opening day: SESSIONS_PER_MINUTE, or less where the enter ceiling is lower; 0 when counting is off. */
export function sessionsPerMinute(env: Env): number {
  return Math.min(SESSIONS_PER_MINUTE, enterCeiling(env));
}

/**
 * The clock the windows are counted on: the request's time, or in a
 * simulation (bench/fairness.mjs) the simulated time it sends, so that a
 * minute of windows needs no minute of waiting. Only where both test seams
 * and development are set: a deployed gateway has neither.
 */
function windowClock(c: AppContext, now: number): number {
  if (c.env.ENABLE_TEST_SEAMS !== "true" || !isDevelopment(c.env)) return now;
  const simulated = Number(c.req.header("x-guichet-test-clock"));
  return Number.isSafeInteger(simulated) && simulated > 0 ? simulated : now;
}

/** One counted arrival: its address's key and how many steps that address has passed this minute. */
export interface AddressCount {
  key: string;
  level: number;
}

/**
 * Counts one arrival from the request's address (an enter without a solved
 * puzzle, or a challenge fetched): its level, or 429 past the ceiling. Null
 * when counting is off. Not async where no binding is bound: nothing is
 * awaited then.
 */
export function countArrival(c: AppContext, now: number): AddressCount | null | Promise<AddressCount> {
  const ceiling = enterCeiling(c.env);
  if (ceiling === 0) return null;
  const key = clientKey(c.req.header("cf-connecting-ip"));
  const at = windowClock(c, now);
  const w = countInWindow(key, at);
  if (w.count > ceiling) throw rateLimited(secondsLeft(w, at));
  const env = c.env;
  // ENTER_ADDRESS_PUZZLE = "off" keeps the ceiling alone: a flat limit, as before puzzles per address.
  const flat = env.ENTER_ADDRESS_PUZZLE === "off";
  const local = addressLevel(w.count);
  if (!env.ENTER_LIMITER) return { key, level: flat ? 0 : local };
  // Each binding asked counts this arrival across the location, all together; a step's binding
  // refuses once the location has counted more than that step this minute. The steps this
  // isolate alone has passed are not asked: it fed each of them until it passed it, so each
  // refuses already (unless its window has just turned), and a busy address costs fewer calls.
  const steps = flat ? [] : STEP_BINDINGS.slice(local).map((name) => env[name]);
  return Promise.all([env.ENTER_LIMITER, ...steps].map((b) => b?.limit({ key }))).then(([ceilingOutcome, ...outcomes]) => {
    if (ceilingOutcome && !ceilingOutcome.success) throw rateLimited(60);
    return { key, level: flat ? 0 : local + outcomes.filter((o) => o && !o.success).length };
  });
}

let tagKey: { secret: string; key: string } | null = null;

/**
 * An address as the operators see it: HMAC-SHA256 under a key derived from
 * TICKET_HMAC_KEY for this purpose alone, 16 hex digits. Without the key no
 * one can tell which address it is (an IPv4 address is only 2^32 guesses
 * away from a plain hash).
 */
export function addressTag(env: Env, key: string): string {
  if (tagKey?.secret !== env.TICKET_HMAC_KEY) {
    tagKey = { secret: env.TICKET_HMAC_KEY, key: hmacSha256(env.TICKET_HMAC_KEY, "guichet-address-tag").toHex() };
  }
  return hmacSha256(tagKey.key, key).toHex().slice(0, 16);
}

// The proxy's route policy and regimes. Pure: which class a path is in, and
// whether protected paths need an admission right now.
import type { RoutePolicy } from "./event";
import { pathAmbiguity } from "./paths";

export type RouteClass = "open" | "protected" | "closed";

/** `*` is any run of characters; everything else is literal. Case-insensitive. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}

/**
 * A path as the policy sees it: percent-decoded once. Only unambiguous paths
 * (pathAmbiguity) have one meaning to decode: for any other, null.
 */
export function policyPath(rawPathname: string): string | null {
  if (pathAmbiguity(rawPathname) !== null) return null;
  // Cannot throw: an unambiguous path's escapes are whole, valid UTF-8.
  return decodeURIComponent(rawPathname);
}

export interface CompiledPolicy {
  classify(rawPathname: string): RouteClass;
}

/**
 * Closed patterns win, then protected, then open; a path no pattern names is
 * protected (the policy denies by default). The proxy refuses ambiguous paths
 * before classifying; were one to reach here, it would rank as closed.
 */
export function compilePolicy(policy: RoutePolicy): CompiledPolicy {
  const closed = policy.closed.map(globToRegExp);
  const guarded = policy.protected.map(globToRegExp);
  const open = policy.open.map(globToRegExp);
  return {
    classify(rawPathname) {
      const path = policyPath(rawPathname);
      if (path === null) return "closed";
      if (closed.some((r) => r.test(path))) return "closed";
      if (guarded.some((r) => r.test(path))) return "protected";
      if (open.some((r) => r.test(path))) return "open";
      return "protected";
    },
  };
}

export type Regime = "before_day" | "line" | "after";

export const TIME_ZONE = "America/Montreal";

/** Midnight in Montreal on the day of `instant`, as epoch ms. */
export function startOfDayInMontreal(instant: number): number {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wallClockAsUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  const offset = wallClockAsUtc - Math.floor(instant / 1000) * 1000;
  return Date.UTC(get("year"), get("month") - 1, get("day")) - offset;
}

/**
 * Before opening day, protected paths pass with a 60-minute session; from
 * midnight (Montreal) of the opening day until the intake closes, only with an
 * admission; once closed, sessions again (submitting is refused by the quota).
 */
export function regimeAt(opensAt: number | null, closed: boolean, now: number): Regime {
  if (closed) return "after";
  if (opensAt === null || now < startOfDayInMontreal(opensAt)) return "before_day";
  return "line";
}

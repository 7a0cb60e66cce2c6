// The proxy's route policy and regimes. Pure: which class a path is in, and
// whether protected paths need an admission right now.
import type { RoutePolicy } from "./event";

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
 * A path as the policy sees it: percent-decoded once. A path that still holds
 * an escape after decoding (double encoding), an encoded or literal backslash,
 * a dot segment or an empty segment is ambiguous (the origin might read it
 * differently): null, and the caller treats it as protected.
 */
export function policyPath(rawPathname: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(rawPathname);
  } catch {
    return null;
  }
  if (/%[0-9a-f]{2}/i.test(path) || path.includes("\\") || /(^|\/)\.\.?(\/|$)/.test(path) || path.includes("//") || path.includes("\0")) {
    return null;
  }
  return path;
}

export interface CompiledPolicy {
  classify(rawPathname: string): RouteClass;
}

/**
 * Closed patterns win, then protected, then open; a path no pattern names is
 * protected (the policy denies by default), and so is an ambiguous one.
 */
export function compilePolicy(policy: RoutePolicy): CompiledPolicy {
  const closed = policy.closed.map(globToRegExp);
  const guarded = policy.protected.map(globToRegExp);
  const open = policy.open.map(globToRegExp);
  return {
    classify(rawPathname) {
      const path = policyPath(rawPathname);
      if (path === null) return "protected";
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

// The event (one intake): its configuration, its defaults from Worker vars,
// and the phase it is in at a given instant. Pure: no I/O.
import * as z from "zod";
import { iso } from "./time";

export const EVENT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The event a request names none for: EVENT_ID, or the June 2016 intake's id when the var is unset or empty. */
export function defaultEventId(vars: { EVENT_ID?: string }): string {
  return vars.EVENT_ID || "csq-2016-06";
}

export type Phase = "before_open" | "open" | "closed";
export type ClosedReason = "quota_reached" | "closed_by_operator";

/** Route policy of the proxy: path patterns (`*` is any run of characters). */
export const RoutePolicySchema = z.object({
  open: z.array(z.string().min(1).max(200)).max(100),
  protected: z.array(z.string().min(1).max(200)).max(100),
  closed: z.array(z.string().min(1).max(200)).max(100),
  /** When closed paths reopen, shown on the 403 page (ISO-8601), if known. */
  closedUntil: z.string().datetime({ offset: true }).nullable().default(null),
});
export type RoutePolicy = z.infer<typeof RoutePolicySchema>;

/** Defaults that fit Mon projet Québec: see the README's route policy table. */
export const MPQ_ROUTE_POLICY: RoutePolicy = {
  open: ["/", "/favicon.ico", "/robots.txt", "/static/*", "/aide*", "/faq*", "/soutien*"],
  protected: ["/connexion*", "/demande*", "/soumission*", "/documents*", "/api/*"],
  closed: ["/inscription*", "/creer-compte*"],
  closedUntil: null,
};

export interface EventConfig {
  id: string;
  /** Opening instant, epoch ms UTC; null while not scheduled. */
  opensAt: number | null;
  quota: number;
  admissionSeconds: number;
  maxActive: number;
  admitPerMinute: number;
  overbook: number;
  noShowGraceSeconds: number;
  /** Operator's banner shown to candidates on every state; null for none. */
  banner: string | null;
  routePolicy: RoutePolicy;
  /** Whether an expired unpaid submission frees its quota place (off by default). */
  unpaidFreesPlace: boolean;
  /**
   * The fair opening (issue #9): from this instant until `opensAt` arrivals
   * join a pre-queue that is numbered by a verifiable shuffle at the opening.
   * Null (the default) keeps strict arrival order, as announced.
   */
  prequeueOpensAt: number | null;
  /** Leading zero bits of the proof of work asked at entry; 0 (the default) asks none. */
  powDifficulty: number;
  /** Whether the difficulty rises (a bit per doubling) when arrivals pass 6,000 a minute. */
  powAutoRaise: boolean;
}

/** Settings added after the first events were stored: what an older stored configuration lacks. */
const LATER_DEFAULTS = { prequeueOpensAt: null, powDifficulty: 0, powAutoRaise: true } satisfies Partial<EventConfig>;

/** A stored configuration, completed with the defaults of settings it predates. */
export function withDefaults(stored: Partial<EventConfig> & Omit<EventConfig, keyof typeof LATER_DEFAULTS>): EventConfig {
  return { ...LATER_DEFAULTS, ...stored };
}

/**
 * Text every candidate's page shows: no control characters (NUL, …) but line
 * breaks, and none that reverse or isolate the direction of what follows
 * (U+202E and its kin can make a banner read differently than it was typed),
 * nor a lone surrogate (no UTF-8 for it).
 */
const FORBIDDEN_IN_TEXT = /(?!\n)[\p{Cc}\p{Bidi_Control}\p{Cs}]/u;
const plainText = (s: string) => !FORBIDDEN_IN_TEXT.test(s);

/** What an operator (or a test) may set; every field optional on update. */
export const EventSettingsSchema = z.object({
  opensAt: z.string().datetime({ offset: true }).nullable(),
  quota: z.number().int().positive().max(10_000_000),
  admissionSeconds: z.number().int().min(10).max(24 * 3600),
  maxActive: z.number().int().positive().max(1_000_000),
  admitPerMinute: z.number().int().positive().max(1_000_000),
  overbook: z.number().min(1).max(2),
  noShowGraceSeconds: z.number().int().min(5).max(24 * 3600),
  banner: z.string().trim().max(500).refine(plainText, { params: { reason: "forbidden_characters" } }).nullable(),
  routePolicy: RoutePolicySchema,
  unpaidFreesPlace: z.boolean(),
  prequeueOpensAt: z.string().datetime({ offset: true }).nullable(),
  powDifficulty: z.number().int().min(0).max(24),
  powAutoRaise: z.boolean(),
});
export type EventSettings = z.infer<typeof EventSettingsSchema>;
export const EventSettingsPatchSchema = EventSettingsSchema.partial().strict();
export type EventSettingsPatch = z.infer<typeof EventSettingsPatchSchema>;

/**
 * The Worker vars that set the default event (the contract's "Configuration
 * of the default event"), and the setting each one sets. The other settings
 * (banner, route policy, unpaidFreesPlace, powAutoRaise) have no var: the ops
 * API sets them.
 */
export const EVENT_SETTING_VARS = {
  EVENT_OPENS_AT: "opensAt",
  EVENT_QUOTA: "quota",
  EVENT_ADMISSION_SECONDS: "admissionSeconds",
  EVENT_MAX_ACTIVE: "maxActive",
  EVENT_ADMIT_PER_MINUTE: "admitPerMinute",
  EVENT_OVERBOOK: "overbook",
  EVENT_NO_SHOW_GRACE_SECONDS: "noShowGraceSeconds",
  EVENT_PREQUEUE_OPENS_AT: "prequeueOpensAt",
  EVENT_POW_DIFFICULTY: "powDifficulty",
} as const satisfies Record<string, keyof EventSettings>;

type SettingVar = keyof typeof EVENT_SETTING_VARS;
export type EventVars = { EVENT_ID?: string } & { [name in SettingVar]?: string };

export class ConfigError extends Error {}

/** Parses an ISO-8601 instant (UTC or with an offset) into epoch ms, or null. */
export function parseInstant(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || raw.trim() === "") return null;
  const at = Date.parse(raw);
  if (!Number.isFinite(at) || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) throw new ConfigError(`${JSON.stringify(raw)} is not an ISO-8601 instant`);
  return at;
}

/** A new event's settings before any var or operator sets them: the contract's defaults. */
export function defaultEvent(id: string): EventConfig {
  if (!EVENT_ID.test(id)) throw new ConfigError(`EVENT_ID=${JSON.stringify(id)} is not a valid event id`);
  return {
    id,
    opensAt: null,
    quota: 5100,
    admissionSeconds: 600,
    maxActive: 500,
    admitPerMinute: 1000,
    overbook: 1,
    noShowGraceSeconds: 120,
    banner: null,
    routePolicy: MPQ_ROUTE_POLICY,
    unpaidFreesPlace: false,
    prequeueOpensAt: null,
    powDifficulty: 0,
    powAutoRaise: true,
  };
}

/**
 * The settings the Worker vars set, as the ops API's body would carry them,
 * checked by the same schema: a var means exactly what the same setting
 * means through `PUT /guichet/ops/api/event`. An empty var sets nothing.
 */
export function settingsFromVars(vars: EventVars): EventSettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(EVENT_SETTING_VARS) as [SettingVar, keyof EventSettings][]) {
    const raw = vars[name];
    if (raw === undefined || raw.trim() === "") continue;
    // Instants as the API writes them (any ISO-8601 form the var may use, normalised to UTC); numbers as numbers.
    patch[field] = field === "opensAt" || field === "prequeueOpensAt" ? iso(parseInstantVar(name, raw)) : Number(raw.trim());
  }
  const parsed = EventSettingsPatchSchema.safeParse(patch);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    const name = (Object.keys(EVENT_SETTING_VARS) as SettingVar[]).find((n) => EVENT_SETTING_VARS[n] === field);
    throw new ConfigError(`${name ?? "an EVENT_ var"}=${JSON.stringify(name ? vars[name] : "")} is not valid`);
  }
  return parsed.data;
}

function parseInstantVar(name: string, raw: string): number {
  try {
    return parseInstant(raw)!;
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not an ISO-8601 instant`);
  }
}

/** The default event, as configured by the Worker vars of the contract. */
export function eventFromVars(vars: EventVars, id = defaultEventId(vars)): EventConfig {
  return applySettings(defaultEvent(id), settingsFromVars(vars));
}

/** Applies validated settings to a configuration (the ops API and tests use it). */
export function applySettings(config: EventConfig, patch: EventSettingsPatch): EventConfig {
  const { opensAt, prequeueOpensAt, ...rest } = patch;
  const next: EventConfig = { ...config, ...rest };
  if (opensAt !== undefined) next.opensAt = parseInstant(opensAt);
  if (prequeueOpensAt !== undefined) next.prequeueOpensAt = parseInstant(prequeueOpensAt);
  return next;
}

/** The phase at `now`: closed wins, then the opening instant decides. */
export function phaseAt(opensAt: number | null, closedAt: number | null, now: number): Phase {
  if (closedAt !== null) return "closed";
  if (opensAt === null || now < opensAt) return "before_open";
  return "open";
}

/** The public form of a configuration (ISO times), as the ops API shows it. */
export function settingsOf(config: EventConfig): EventSettings & { id: string } {
  return { ...config, opensAt: iso(config.opensAt), prequeueOpensAt: iso(config.prequeueOpensAt) };
}

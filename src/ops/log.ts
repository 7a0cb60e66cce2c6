// Structured logs for the events an operator needs (Workers Logs, `wrangler
// tail`): one JSON line per event, with a fixed set of fields. No personal
// data may reach a log (invariant 9), so the fields are typed per event, and
// every string is checked again here: a value that could carry a name, an
// e-mail, an address or a token (spaces, `@`, anything outside a short
// identifier's characters) is written as "?". Operators are logged by the
// kind of credential they used, never by name or e-mail.

export type Level = "info" | "warn" | "error";

/** How an operator authenticated, without who they are. */
export type ActorKind = "access" | "access_service" | "ops_token" | "system";

/** The events, each with the only fields it may carry. */
export type LogEvent =
  | { what: "setting_changed"; event: string; actor: ActorKind; source: string; fields: string[]; configVersion: number }
  | { what: "change_refused"; event: string; actor: ActorKind; field: string; reason: string }
  | { what: "intake_closed"; event: string; actor: ActorKind; reason: string; via: string }
  | { what: "outbox_failing"; event: string; object: string; pending: number; failing: number }
  | { what: "outbox_recovered"; event: string; object: string }
  | { what: "origin_failing"; event: string; timeout: number; unreachable: number; server_error: number; paths: string[] }
  | { what: "signing_keys"; kid: string; nextKid: string | null; signsFrom: string | null; previousKids: string[] };

/** Identifiers, setting names, reasons, kids, first path segments: short and without spaces or `@`. */
const SAFE_STRING = /^[A-Za-z0-9_.:/+=-]{0,100}$/;

function safe(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return SAFE_STRING.test(value) ? value : "?";
  if (Array.isArray(value)) return value.slice(0, 20).map(safe);
  return null;
}

/** What a log line holds: the level, the event's name, its fields, each made safe. */
export function logLine(level: Level, event: LogEvent): string {
  const line: Record<string, unknown> = { level };
  for (const [key, value] of Object.entries(event)) line[key] = safe(value);
  return JSON.stringify(line);
}

/** Writes one event as one JSON line, at its level (console.log, warn or error). */
export function logEvent(level: Level, event: LogEvent): void {
  const line = logLine(level, event);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** The kind of credential an audit actor (`access:<e-mail>`, `ops-token (declared: …)`, …) used. */
export function actorKind(actor: string | null): ActorKind {
  if (actor === null) return "system";
  if (actor.startsWith("access-service:")) return "access_service";
  if (actor.startsWith("access:")) return "access";
  return "ops_token";
}

// Shared test helpers: a fresh event per test, requests through the Worker's
// own fetch, and cookies carried by hand.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { signAdmission } from "../src/auth/admission";
import type { EventSettingsPatch } from "../src/domain/event";
import type { RoomSnapshot, Snapshot } from "../src/durable/queue-room/queue-room";
import { forgetSnapshot } from "../src/line/snapshot-cache";

export const BASE = "https://guichet.test";
let serial = 0;

/** A unique event id, so tests never share a line. */
export function uniqueEvent(prefix = "t"): string {
  serial += 1;
  return `${prefix}-${Date.now().toString(36)}-${serial}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The room's snapshot, typed (an RPC stub's promise is not); throws if the event does not exist. */
export async function snapshotOf(eventId: string): Promise<RoomSnapshot> {
  const s = (await room(eventId).snapshot()) as Snapshot;
  if (!s.exists) throw new Error(`no event ${eventId}`);
  return s;
}

export function room(eventId: string) {
  return env.QUEUE_ROOM.getByName(eventId);
}

export function counter(eventId: string) {
  return env.QUOTA_COUNTER.getByName(eventId);
}

/** Creates an event (open a second ago unless told otherwise). */
export async function createEvent(eventId: string, settings: EventSettingsPatch = {}): Promise<void> {
  const result = await room(eventId).configure({ opensAt: new Date(Date.now() - 1000).toISOString(), ...settings }, { source: "test" });
  if (!result.ok) throw new Error(`configure failed: ${JSON.stringify(result)}`);
}

export function gateway(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  // Redirects are the answer under test: never follow them.
  return exports.default.fetch(new Request(`${BASE}${path}`, { redirect: "manual", ...init, headers }));
}

/** A cookie's name without the `__Host-` or `__Secure-` prefix: clients match our cookies by the rest of the name. */
export function unprefixedName(name: string): string {
  return name.replace(/^__(Host|Secure)-/, "");
}

/**
 * `name=value` of a Set-Cookie the response sets, for the next request's
 * Cookie header; `name` matches by the rest of the name (`guichet_ticket`
 * finds `__Host-guichet_ticket`).
 */
export function cookieOf(res: Response, name: string): string | null {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair ? pair.indexOf("=") : -1;
    if (eq > 0 && unprefixedName(pair!.slice(0, eq)) === name && pair!.length > eq + 1) return pair!;
  }
  return null;
}

/** The whole Set-Cookie line for our cookie `name` (matched as cookieOf does), or null. */
export function setCookieLine(res: Response, name: string): string | null {
  return res.headers.getSetCookie().find((line) => unprefixedName(line.slice(0, line.indexOf("="))) === name) ?? null;
}

/** Our cookie `name` as a browser on BASE (HTTPS) sends it: with the `__Host-` prefix. */
export function ourCookie(name: "guichet_ticket" | "guichet_admission" | "guichet_session", value: string): string {
  return `__Host-${name}=${value}`;
}

export async function enter(eventId: string, cookie?: string) {
  const res = await gateway(`/guichet/api/enter?event=${eventId}`, { method: "POST", cookie });
  const body = (await res.json()) as any;
  return { res, body, cookie: cookieOf(res, "guichet_ticket") ?? cookie ?? null };
}

export async function status(eventId: string, cookie: string) {
  const res = await gateway(`/guichet/api/status?event=${eventId}`, { cookie });
  return { res, body: (await res.json()) as any };
}

export async function claim(eventId: string, cookie: string, init: RequestInit = {}) {
  const res = await gateway(`/guichet/api/claim?event=${eventId}`, { method: "POST", cookie, ...init });
  return { res, body: (await res.json()) as any };
}

/** Runs the room's alarm now (one admission tick), and drops this isolate's cached snapshot. */
export async function tick(eventId: string): Promise<boolean> {
  const ran = await runDurableObjectAlarm(room(eventId));
  forgetSnapshot(eventId);
  return ran;
}

// ------------------------------------------------------------ submissions

export const ORIGIN_AUTH = { authorization: `Bearer ${env.ORIGIN_API_KEY}` };
export const OPS_AUTH = { authorization: `Bearer ${env.OPS_TOKEN}` };
export const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/** An admission token signed with the gateway's key, as a claim would give it. */
export async function admissionToken(
  eventId: string,
  claims: { num?: number; dev?: "desktop" | "mobile" | "tablet"; iat?: number; lifetime?: number; jti?: string } = {},
): Promise<string> {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  return signAdmission(
    env,
    {
      sub: `ticket-${claims.num ?? 1}`,
      jti: claims.jti ?? crypto.randomUUID(),
      iat,
      exp: iat + (claims.lifetime ?? 600),
      evt: eventId,
      num: claims.num ?? 1,
      dev: claims.dev ?? "desktop",
    },
    BASE,
    "mpq-origin",
  );
}

let people = 0;
/** A distinct applicant each call (or the given fields). */
export function applicant(overrides: Partial<Record<"familyName" | "givenNames" | "birthDate" | "countryOfBirth" | "passportNumber" | "email", string>> = {}) {
  people += 1;
  return {
    familyName: `Tremblay${people}`,
    givenNames: "Marie Claire",
    birthDate: "1985-04-02",
    countryOfBirth: "FR",
    passportNumber: `P${String(people).padStart(8, "0")}`,
    email: `marie${people}@example.org`,
    ...overrides,
  };
}

export function submissionBody(token: string, overrides: Record<string, unknown> = {}) {
  people += 1;
  return {
    admissionToken: token,
    accountId: `mpq-${people}`,
    applicationId: `app-${people}`,
    applicant: applicant(),
    signedByRepresentative: false,
    representativeId: null,
    device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
    ...overrides,
  };
}

export async function submit(eventId: string, body: unknown, path = "/guichet/api/submissions") {
  const res = await gateway(`${path}?event=${eventId}`, {
    method: "POST",
    headers: { ...ORIGIN_AUTH, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as any };
}

/** Rows D1 holds for an event's submissions, by rank. */
export async function d1Submissions(eventId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM submissions WHERE event_id = ? ORDER BY rank").bind(eventId).all();
  return results as Record<string, unknown>[];
}

/** Waits until `check` holds (the objects' alarms run on their own), at most `ms`. */
export async function eventually<T>(check: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Shared test helpers: a fresh event per test, requests through the Worker's
// own fetch, and cookies carried by hand.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { EventSettingsPatch } from "../src/domain/event";
import { forgetSnapshot } from "../src/snapshots";

export const BASE = "https://guichet.test";
let serial = 0;

/** A unique event id, so tests never share a line. */
export function uniqueEvent(prefix = "t"): string {
  serial += 1;
  return `${prefix}-${Date.now().toString(36)}-${serial}-${Math.random().toString(36).slice(2, 6)}`;
}

export function room(eventId: string) {
  return env.QUEUE_ROOM.getByName(eventId);
}

export function counter(eventId: string) {
  return env.QUOTA_COUNTER.getByName(eventId);
}

/** Creates an event (open a second ago unless told otherwise). */
export async function createEvent(eventId: string, settings: EventSettingsPatch = {}): Promise<void> {
  const result = await room(eventId).configure({ opensAt: new Date(Date.now() - 1000).toISOString(), ...settings }, "test");
  if (!result.ok) throw new Error(`configure failed: ${JSON.stringify(result)}`);
}

export function gateway(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

/** `name=value` of a Set-Cookie the response sets, for the next request's Cookie header. */
export function cookieOf(res: Response, name: string): string | null {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    if (pair && pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return null;
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

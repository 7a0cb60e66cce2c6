// Operators: read and change the event, pause, resume, close (the kill
// switch), and the audit trail. Every action is authenticated and audited
// (invariant 8): the QueueRoom writes each change and its audit row together.
import { Hono, type MiddlewareHandler } from "hono";
import { desc, eq } from "drizzle-orm";
import { bearerOf, sameSecret } from "../auth/bearer";
import { database } from "../db/deliver";
import * as schema from "../db/schema";
import { EventSettingsPatchSchema, settingsOf } from "../domain/event";
import { ApiError } from "../errors";
import { eventIdOf, type AppContext, type AppEnv } from "../http";
import { forgetSnapshot } from "../snapshots";
import { bodyLimit, valid } from "../validation";

export const ops = new Hono<AppEnv>();

/** OPS_TOKEN as a bearer token; the actor is named by `X-Guichet-Operator` when given. */
export const opsOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerOf(c.req.header("authorization"));
  if (!token || !(await sameSecret(token, c.env.OPS_TOKEN))) {
    throw new ApiError(401, "unauthorized", {}, { "WWW-Authenticate": 'Bearer realm="guichet-ops"' });
  }
  const name = (c.req.header("x-guichet-operator") ?? "").replace(/[^\p{L}\p{N} ._@-]/gu, "").slice(0, 60).trim();
  c.set("actor", name ? `ops-token:${name}` : "ops-token");
  await next();
};

ops.use("*", opsOnly);

async function eventView(c: AppContext, eventId: string) {
  const s = await c.env.QUEUE_ROOM.getByName(eventId).snapshot();
  if (!s.exists) throw new ApiError(404, "unknown_event");
  const counter = await c.env.QUOTA_COUNTER.getByName(eventId).stats();
  return {
    event: {
      id: s.event,
      phase: s.phase,
      paused: s.paused,
      closedReason: s.closedReason,
      accepted: counter?.accepted ?? s.quota.accepted,
      configVersion: s.configVersion,
    },
  };
}

ops.get("/event", async (c) => {
  const eventId = eventIdOf(c);
  const view = await eventView(c, eventId);
  const { settings } = await c.env.QUEUE_ROOM.getByName(eventId).settings();
  return c.json({ ...view, settings: settings && settingsOf(settings) });
});

/**
 * Changes the event (or creates it). The whole change is validated by the room
 * first; a quota change is applied by the QuotaCounter (which knows the exact
 * accepted count) before the room commits, so neither can disagree for long.
 */
ops.put("/event", bodyLimit(16 * 1024), valid("json", EventSettingsPatchSchema), async (c) => {
  const eventId = eventIdOf(c);
  const patch = c.req.valid("json");
  const room = c.env.QUEUE_ROOM.getByName(eventId);
  const check = await room.configure(patch, "ops", c.get("actor"), true);
  if (!check.ok) throw new ApiError(422, "invalid_change", { field: check.field, detail: check.detail });
  if (check.before && (patch.quota !== undefined || patch.unpaidFreesPlace !== undefined)) {
    const counted = await c.env.QUOTA_COUNTER.getByName(eventId).setSettings({ quota: patch.quota, unpaidFreesPlace: patch.unpaidFreesPlace });
    if (!counted.ok) {
      throw new ApiError(422, "invalid_change", { field: "quota", detail: `the quota cannot go below the ${counted.accepted} submissions already accepted` });
    }
  }
  const done = await room.configure(patch, "ops", c.get("actor"));
  if (!done.ok) throw new ApiError(422, "invalid_change", { field: done.field, detail: done.detail });
  forgetSnapshot(eventId);
  return c.json({ settings: settingsOf(done.after), created: done.before === null }, done.before === null ? 201 : 200);
});

ops.post("/event/pause", async (c) => {
  const eventId = eventIdOf(c);
  await eventView(c, eventId);
  const r = await c.env.QUEUE_ROOM.getByName(eventId).setPaused(true, c.get("actor"));
  forgetSnapshot(eventId);
  return c.json({ paused: r.after, before: r.before });
});

ops.post("/event/resume", async (c) => {
  const eventId = eventIdOf(c);
  await eventView(c, eventId);
  const r = await c.env.QUEUE_ROOM.getByName(eventId).setPaused(false, c.get("actor"));
  forgetSnapshot(eventId);
  return c.json({ paused: r.after, before: r.before });
});

/** The kill switch: submissions stop first, then numbering and calling. */
ops.post("/event/close", async (c) => {
  const eventId = eventIdOf(c);
  await eventView(c, eventId);
  await c.env.QUOTA_COUNTER.getByName(eventId).close("closed_by_operator");
  const r = await c.env.QUEUE_ROOM.getByName(eventId).close("closed_by_operator", c.get("actor"));
  forgetSnapshot(eventId);
  return c.json({ closed: true, alreadyClosed: r.before });
});

ops.get("/audit", async (c) => {
  const eventId = eventIdOf(c);
  const rows = await database(c.env.DB)
    .select()
    .from(schema.auditLog)
    .where(eq(schema.auditLog.eventId, eventId))
    .orderBy(desc(schema.auditLog.at))
    .limit(500);
  return c.json({ audit: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) });
});

// Operators: the dashboard, live metrics (JSON, Server-Sent Events,
// Prometheus), the per-minute history, the ministry's CSV export, and the
// controls (change the event, pause, resume, close) with their audit trail.
// Every action is authenticated (OPS_TOKEN, or Cloudflare Access where
// configured) and audited (invariant 8): the QueueRoom writes each change and
// its audit row together. METRICS_TOKEN reads the metrics and nothing else.
import { Hono, type Handler, type MiddlewareHandler } from "hono";
import { asc, desc, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { accessConfigured, verifyAccessAssertion } from "../auth/access";
import { bearerOf, sameSecret } from "../auth/bearer";
import { database } from "../db/deliver";
import * as schema from "../db/schema";
import { EventSettingsPatchSchema, settingsOf } from "../domain/event";
import { belowAccepted } from "../domain/settings";
import { iso } from "../domain/time";
import { ApiError, type ErrorCode } from "../http/errors";
import { eventIdOf, type AppContext, type AppEnv } from "../http/context";
import { sameOrigin } from "../http/security";
import { forgetMetrics, sharedMetrics, type OpsMetrics } from "../ops/metrics";
import { dashboardPage } from "../pages/ops/dashboard";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../ops/prometheus";
import { forgetSnapshot } from "../line/snapshot-cache";
import { jsonBody, validQuery } from "../http/body";
import { queueRoom, quotaCounter } from "../durable/shared/stubs";
import type { ConfigureResult } from "../durable/queue-room/queue-room";
import { issueMessages, reasonText, schemaRefusal } from "../ops/refusals";

export const ops = new Hono<AppEnv>();

const unauthorized = () => new ApiError(401, "unauthorized", {}, { "WWW-Authenticate": 'Bearer realm="guichet-ops"' });

/** The actor of METRICS_TOKEN requests: they read metrics and nothing else. */
const METRICS_ACTOR = "metrics-token";

/**
 * The audit's name for an OPS_TOKEN holder: the token is shared, so the name
 * in X-Guichet-Operator is only what the caller declares, and the row says so.
 * Parentheses and colons are stripped, so a declared name cannot pass for
 * another kind of actor (`access:…`).
 */
export function opsTokenActor(declared: string | undefined): string {
  const name = (declared ?? "").replace(/[^\p{L}\p{N} ._@-]/gu, "").slice(0, 60).trim();
  return name ? `ops-token (declared: ${name})` : "ops-token";
}

/**
 * The operator a request authenticates, as the audit names them, or null:
 * OPS_TOKEN or METRICS_TOKEN as a bearer token, or, where ACCESS_AUD and
 * ACCESS_TEAM_DOMAIN are set, a valid Cloudflare Access assertion
 * (`access:<email>`, or `access-service:<client id>` for a service token).
 */
async function actorOf(c: AppContext): Promise<string | null> {
  const token = bearerOf(c.req.header("authorization"));
  if (token) {
    const [ops, metrics] = await Promise.all([sameSecret(token, c.env.OPS_TOKEN), sameSecret(token, c.env.METRICS_TOKEN ?? "")]);
    if (ops) return opsTokenActor(c.req.header("x-guichet-operator"));
    if (metrics) return METRICS_ACTOR;
  }
  const assertion = c.req.header("cf-access-jwt-assertion");
  if (assertion && accessConfigured(c.env)) {
    const identity = await verifyAccessAssertion(c.env, assertion);
    if (identity) return `${identity.kind === "user" ? "access" : "access-service"}:${identity.who.slice(0, 200)}`;
  }
  return null;
}

/** Any operator credential, else 401. */
const authenticated: MiddlewareHandler<AppEnv> = async (c, next) => {
  const actor = await actorOf(c);
  if (!actor) throw unauthorized();
  c.set("actor", actor);
  return next();
};

/** OPS_TOKEN or Access: METRICS_TOKEN is known here but may not steer nor read personal data (403 read_only). */
const steering: MiddlewareHandler<AppEnv> = (c, next) => {
  if (c.get("actor") === METRICS_ACTOR) throw new ApiError(403, "read_only");
  return next();
};

/** Keeps a shared fetch going after this request ends (another viewer may be waiting for it). */
function keepAliveOf(c: AppContext): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

async function metricsOf(c: AppContext, eventId: string): Promise<OpsMetrics> {
  const m = await sharedMetrics(c.env, eventId, keepAliveOf(c));
  if (!m) throw new ApiError(404, "unknown_event");
  return m;
}

/** After a control: this isolate's caches show the change at once. */
function changed(eventId: string): void {
  forgetSnapshot(eventId);
  forgetMetrics(eventId);
}

// ------------------------------------------------------------ the dashboard

/** The page is a shell with no data in it: everything it shows comes from the authenticated API. */
ops.get("/", (c) => dashboardPage(c));

ops.use("/api/*", authenticated);
ops.use("/metrics", authenticated);
// Access authenticates with a cookie the browser sends by itself: changes must come from this site.
ops.use("/api/*", (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : sameOrigin(c, next)));

// ------------------------------------------------------------ metrics (read-only)
//
// Any operator, METRICS_TOKEN included: the metrics, the history and the
// event's settings. These routes come before the `steering` guard below: each
// answers without calling next(), so the guard never runs for them, and every
// /api/ route after it is refused to METRICS_TOKEN.

ops.get("/api/metrics", async (c) => c.json(await metricsOf(c, eventIdOf(c))));

/** Prometheus text format 0.0.4 (bearer METRICS_TOKEN, or OPS_TOKEN, in the scrape config). */
ops.get("/metrics", async (c) => {
  const m = await metricsOf(c, eventIdOf(c));
  return c.body(renderPrometheus([m]), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
});

export const STREAM_EVERY_MS = 1_000;
/** A stream ends after this long; the client reconnects (no connection lives forever). */
const STREAM_MAX_MS = 15 * 60_000;
const STREAM_FETCH_TIMEOUT_MS = 4_000;
let streamsOpen = 0;

/** Streams this isolate is serving now (tests read it). */
export function openStreams(): number {
  return streamsOpen;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}

/**
 * The metrics as Server-Sent Events (`event: metrics`), about once a second.
 * Each stream asks the isolate's shared cache, so a hundred dashboards cost
 * the objects one fetch a second. The stream is pulled by the client: when it
 * goes away the runtime cancels the body and the loop ends with it.
 */
ops.get("/api/stream", async (c) => {
  const eventId = eventIdOf(c);
  const keepAlive = keepAliveOf(c);
  const first = await metricsOf(c, eventId);
  const encoder = new TextEncoder();
  const started = Date.now();
  let seq = 0;
  let lastSentAt = 0;
  let open = true;
  streamsOpen += 1;
  const stop = () => {
    if (!open) return;
    open = false;
    streamsOpen -= 1;
  };
  c.req.raw.signal?.addEventListener("abort", stop, { once: true });
  const frame = (m: OpsMetrics) => encoder.encode(`id: ${++seq}\nevent: metrics\ndata: ${JSON.stringify(m)}\n\n`);
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(`retry: 2000\n\n`));
        controller.enqueue(frame(first));
        lastSentAt = Date.now();
      },
      async pull(controller) {
        await sleep(Math.max(0, lastSentAt + STREAM_EVERY_MS - Date.now()));
        if (open && Date.now() - started >= STREAM_MAX_MS) stop();
        if (!open) {
          try {
            controller.close();
          } catch {
            // Already cancelled by the client.
          }
          return;
        }
        let m: OpsMetrics | null | undefined;
        try {
          m = await withTimeout(sharedMetrics(c.env, eventId, keepAlive), STREAM_FETCH_TIMEOUT_MS);
        } catch {
          m = undefined;
        }
        if (!open) return;
        lastSentAt = Date.now();
        // A comment keeps the connection visibly alive while the objects do not answer.
        controller.enqueue(m ? frame(m) : encoder.encode(": metrics unavailable\n\n"));
      },
      cancel() {
        stop();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
  });
});

// ------------------------------------------------------------ history (read-only)

const HistoryQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
const HISTORY_MAX_MINUTES = 20_000;

/** The per-minute history from D1 (it outlives the event's objects), with submissions counted from D1's own rows. */
ops.get("/api/history", validQuery(HistoryQuery), async (c) => {
  const eventId = eventIdOf(c);
  const q = c.req.valid("query");
  const from = q.from ? Math.floor(Date.parse(q.from) / 60_000) : 0;
  const to = q.to ? Math.floor(Date.parse(q.to) / 60_000) : Math.floor(8.64e15 / 60_000);
  const h = schema.minuteHistory;
  const db = database(c.env.DB);
  const [rows, submitted] = await Promise.all([
    db
      .select()
      .from(h)
      .where(sql`${h.eventId} = ${eventId} AND ${h.minute} >= ${from} AND ${h.minute} <= ${to}`)
      .orderBy(asc(h.minute))
      .limit(HISTORY_MAX_MINUTES),
    c.env.DB.prepare(
      `SELECT accepted_at / 60000 AS minute, SUM(kind = 'quota') AS accepted, SUM(kind = 'eligible') AS eligible
       FROM submissions WHERE event_id = ? AND accepted_at >= ? AND accepted_at < ? GROUP BY accepted_at / 60000`,
    )
      .bind(eventId, from * 60_000, (to + 1) * 60_000)
      .all<{ minute: number; accepted: number; eligible: number }>(),
  ]);
  const byMinute = new Map<number, ReturnType<typeof minuteOf>>();
  const empty = (minute: number) => minuteOf({ ...blankMinute, eventId, minute });
  for (const r of rows) byMinute.set(r.minute, minuteOf(r));
  for (const s of submitted.results) {
    const m = byMinute.get(s.minute) ?? empty(s.minute);
    m.submissions = s.accepted;
    m.eligibleSubmissions = s.eligible;
    byMinute.set(s.minute, m);
  }
  const minutes = [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  return c.json({ event: eventId, minutes });
});

type MinuteHistoryRow = typeof schema.minuteHistory.$inferSelect;
const blankMinute: Omit<MinuteHistoryRow, "eventId" | "minute"> = {
  arrivals: 0,
  calls: 0,
  admissions: 0,
  used: 0,
  expired: 0,
  noShows: 0,
  left: 0,
  waiting: 0,
  active: 0,
  waitP50Ms: null,
  waitP95Ms: null,
  doCallsRoom: 0,
  doCallsCounter: 0,
  updatedAt: 0,
};

function minuteOf(r: MinuteHistoryRow) {
  const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
  return {
    at: iso(r.minute * 60_000),
    minute: r.minute,
    arrivals: r.arrivals,
    calls: r.calls,
    admissions: r.admissions,
    used: r.used,
    expired: r.expired,
    noShows: r.noShows,
    left: r.left,
    waiting: r.waiting,
    active: r.active,
    waitP50Seconds: seconds(r.waitP50Ms),
    waitP95Seconds: seconds(r.waitP95Ms),
    doCallsRoom: r.doCallsRoom,
    doCallsCounter: r.doCallsCounter,
    submissions: 0,
    eligibleSubmissions: 0,
  };
}

// ------------------------------------------------------------ the event (read-only)

async function eventView(c: AppContext, eventId: string) {
  const s = await queueRoom(c.env, eventId).snapshot();
  if (!s.exists) throw new ApiError(404, "unknown_event");
  const counter = await quotaCounter(c.env, eventId).stats();
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

/** The event's settings and state (no personal data): a read-only dashboard needs them. */
ops.get("/api/event", async (c) => {
  const eventId = eventIdOf(c);
  const view = await eventView(c, eventId);
  const { settings } = await queueRoom(c.env, eventId).settings();
  return c.json({ ...view, settings: settings && settingsOf(settings), actor: c.get("actor") });
});

// ------------------------------------------------------------ OPS_TOKEN or Access only
//
// The export (it names accounts and applications), changes to the event, the
// controls and the audit. Every /api/ route below this guard refuses METRICS_TOKEN.

ops.use("/api/*", steering);

const CSV_COLUMNS = [
  "id",
  "rank",
  "kind",
  "account_id",
  "application_id",
  "queue_number",
  "device_class",
  "representative",
  "representative_id",
  "eligibility",
  "status",
  "accepted_at",
  "payment_due_at",
  "paid_at",
  "payment_reference",
] as const;
const CSV_PAGE = 1_000;
/** So that Excel reads the file as UTF-8 (without it, a fr-CA Windows Excel reads Windows-1252 and garbles accents). */
const UTF8_BOM = "\uFEFF";

/**
 * `rfc4180` (the default, for scripts): comma-separated; `excel`: separated
 * by semicolons, the list separator of a French-Canadian Windows, so Excel
 * opens it in columns. Both start with the BOM and end lines with CRLF.
 */
const CsvQuery = z.object({ format: z.enum(["rfc4180", "excel"]).optional() });

/** RFC 4180 quoting (for `separator` too), and a leading quote on text a spreadsheet would run as a formula. */
function csvField(value: string | number | boolean | null, separator: string, text = false): string {
  if (value === null) return "";
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /["\r\n]/.test(s) || s.includes(separator) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The ministry's export from D1: accepted submissions in rank order (the
 * always-eligible ones, without a rank, after them), every status. No identity
 * data is stored anywhere, so none can leak here: the duplicate key is an HMAC
 * and is not exported either.
 */
ops.get("/api/submissions.csv", validQuery(CsvQuery), (c) => {
  const eventId = eventIdOf(c);
  const separator = c.req.valid("query").format === "excel" ? ";" : ",";
  const db = database(c.env.DB);
  const s = schema.submissions;
  const encoder = new TextEncoder();
  let offset = 0;
  let headerSent = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${UTF8_BOM}${CSV_COLUMNS.join(separator)}\r\n`));
        return;
      }
      const rows = await db
        .select()
        .from(s)
        .where(eq(s.eventId, eventId))
        .orderBy(sql`${s.rank} IS NULL`, asc(s.rank), asc(s.acceptedAt), asc(s.id))
        .limit(CSV_PAGE)
        .offset(offset);
      offset += rows.length;
      const field = (value: string | number | boolean | null, text = false) => csvField(value, separator, text);
      const lines = rows.map((r) =>
        [
          field(r.id),
          field(r.rank),
          field(r.kind),
          field(r.accountId, true),
          field(r.applicationId, true),
          field(r.queueNumber),
          field(r.deviceClass),
          field(r.representative),
          field(r.representativeId, true),
          field(r.eligibility),
          field(r.status),
          field(iso(r.acceptedAt)),
          field(iso(r.paymentDueAt)),
          field(iso(r.paidAt)),
          field(r.paymentReference, true),
        ].join(separator),
      );
      if (lines.length > 0) controller.enqueue(encoder.encode(`${lines.join("\r\n")}\r\n`));
      if (rows.length < CSV_PAGE) controller.close();
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8; header=present",
      "Content-Disposition": `attachment; filename="${eventId}-submissions.csv"`,
      "Cache-Control": "no-store",
    },
  });
});

// ------------------------------------------------------------ changes to the event, controls

/**
 * The PUT's body: settings (EventSettingsPatchSchema, checked in the handler
 * so that a refusal can be explained and audited) and, for a change that
 * closes the intake, `confirmClose` with the event's id typed by the operator.
 */
const EventChangeBody = z.record(z.string(), z.unknown());

/**
 * Changes the event (or creates it). The whole change is validated by the room
 * first, against the accepted count the QuotaCounter gives; a quota change is
 * applied by the counter before the room commits, so neither can disagree for
 * long. A change that would close the intake (a quota at the accepted count)
 * is refused (409 confirmation_required) unless `confirmClose` is the event's
 * id. Every refusal is audited and says why in the operator's language.
 */
ops.put("/api/event", jsonBody(EventChangeBody, { maxBytes: 16 * 1024 }), async (c) => {
  const eventId = eventIdOf(c);
  const lang = c.get("lang");
  const actor = c.get("actor");
  const { confirmClose, ...asked } = c.req.valid("json");
  const room = queueRoom(c.env, eventId);
  const refuse = async (status: 409 | 422, code: ErrorCode, refusal: { field: string; cause: string; message: string; detail?: string }, extra: Record<string, unknown> = {}) => {
    await room.refused({ actor, asked, field: refusal.field, cause: refusal.cause, detail: refusal.detail ?? refusal.message });
    return c.json({ error: { code, message: refusal.message, field: refusal.field, reason: refusal.cause, ...extra } }, status);
  };
  const refuseChange = (r: Extract<ConfigureResult, { ok: false }>) => {
    const message = reasonText(r.cause, lang, { ...r.values, event: eventId });
    if (r.reason === "confirmation_required") {
      return refuse(409, "confirmation_required", { field: r.field, cause: r.cause, message, detail: r.detail }, { ...r.values, confirmWith: "confirmClose" });
    }
    return refuse(422, "invalid_change", { field: r.field, cause: r.cause, message, detail: r.detail }, { detail: r.detail });
  };

  const parsed = EventSettingsPatchSchema.safeParse(asked, { error: issueMessages(lang) });
  if (!parsed.success) {
    const r = schemaRefusal(parsed.error);
    return refuse(422, "invalid_body", { field: r.field, cause: r.reason, message: r.message });
  }
  const patch = parsed.data;
  const counter = quotaCounter(c.env, eventId);
  const accepted = patch.quota !== undefined ? ((await counter.stats())?.accepted ?? 0) : 0;
  const options = { actor, accepted, confirmClose: confirmClose === eventId };
  const check = await room.configure(patch, { ...options, dryRun: true });
  if (!check.ok) return refuseChange(check);
  if (check.before && (patch.quota !== undefined || patch.unpaidFreesPlace !== undefined)) {
    const counted = await counter.setSettings({ quota: patch.quota, unpaidFreesPlace: patch.unpaidFreesPlace });
    if (!counted.ok) return refuseChange({ ok: false, reason: "invalid_change", ...belowAccepted(counted.accepted) });
  }
  const done = await room.configure(patch, options);
  if (!done.ok) return refuseChange(done);
  changed(eventId);
  return c.json({ settings: settingsOf(done.after), created: done.before === null, closed: done.closed }, done.before === null ? 201 : 200);
});

/** Stops (`paused`) or resumes calling numbers. */
function setPaused(paused: boolean): Handler<AppEnv> {
  return async (c) => {
    const eventId = eventIdOf(c);
    await eventView(c, eventId);
    const r = await queueRoom(c.env, eventId).setPaused(paused, c.get("actor"));
    changed(eventId);
    return c.json({ paused: r.after, before: r.before });
  };
}

ops.post("/api/event/pause", setPaused(true));
ops.post("/api/event/resume", setPaused(false));

/** The kill switch: submissions stop first, then numbering and calling. */
ops.post("/api/event/close", async (c) => {
  const eventId = eventIdOf(c);
  await eventView(c, eventId);
  await quotaCounter(c.env, eventId).close("closed_by_operator");
  const r = await queueRoom(c.env, eventId).close("closed_by_operator", c.get("actor"));
  changed(eventId);
  return c.json({ closed: true, alreadyClosed: r.before });
});

ops.get("/api/audit", async (c) => {
  const eventId = eventIdOf(c);
  const rows = await database(c.env.DB)
    .select()
    .from(schema.auditLog)
    .where(eq(schema.auditLog.eventId, eventId))
    .orderBy(desc(schema.auditLog.at))
    .limit(500);
  return c.json({ audit: rows.map((r) => ({ ...r, at: iso(r.at) })) });
});

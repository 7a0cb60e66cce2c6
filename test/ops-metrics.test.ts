// The operators' metrics against a scripted line: every count exact, the wait
// percentiles equal to a naive sort of the room's own rows, the Prometheus
// text parseable, the DO call counts surviving an eviction, and the
// per-minute history copied to D1.
import { env } from "cloudflare:workers";
import { createExecutionContext, evictDurableObject, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newTicketId } from "../src/auth/ticket";
import type { QueueRoom, RoomMetrics } from "../src/durable/queue-room/queue-room";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import worker from "../src/worker";
import { forgetMetrics, type OpsMetrics } from "../src/ops/metrics";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { admissionToken, applicant, BASE, counter, createEvent, eventually, gateway, OPS_AUTH, room, submissionBody, submit, tick, uniqueEvent } from "./helpers";

async function roomMetrics(eventId: string): Promise<RoomMetrics> {
  const m = (await room(eventId).metrics()) as RoomMetrics | null;
  if (!m) throw new Error("no room");
  return m;
}

async function opsMetrics(eventId: string): Promise<OpsMetrics> {
  forgetMetrics(eventId);
  const res = await gateway(`/guichet/ops/api/metrics?event=${eventId}`, { headers: OPS_AUTH });
  expect(res.status).toBe(200);
  return (await res.json()) as OpsMetrics;
}

/** Nearest-rank percentiles of the waits, from the rows themselves, sorted in memory: the reference. */
async function referenceWaits(eventId: string) {
  const waits = await runInDurableObject(room(eventId), (_: QueueRoom, state) =>
    state.storage.sql
      .exec<{ w: number }>("SELECT called_at - entered_at AS w FROM tickets WHERE called_at IS NOT NULL")
      .toArray()
      .map((r) => r.w)
      .sort((a, b) => a - b),
  );
  const at = (p: number) => (waits.length ? Math.round(waits[Math.max(1, Math.ceil((p / 100) * waits.length)) - 1]! / 1000) : null);
  return { called: waits.length, p50Seconds: at(50), p95Seconds: at(95) };
}

/** A claimed admission as a token the origin would submit: the room's jti and times, signed by the gateway. */
async function claimed(eventId: string, ticketId: string) {
  const c = await room(eventId).claim(ticketId, "desktop");
  if (!c.ok) throw new Error(`claim failed: ${c.reason}`);
  return admissionToken(eventId, { jti: c.jti, iat: c.iat, lifetime: c.exp - c.iat, num: c.number });
}

describe("metrics of a scripted line", () => {
  it("match the line exactly: entered, waiting, called, admitted, used, expired, no-shows, left, refusals, rates, waits", async () => {
    const id = uniqueEvent("metrics");
    // quota 4 with overbook 1 caps active + accepted at 4: background alarms cannot call more than the script does.
    await createEvent(id, { quota: 4, maxActive: 10, admitPerMinute: 100_000, noShowGraceSeconds: 60, admissionSeconds: 600 });
    const tickets = Array.from({ length: 8 }, () => newTicketId());
    await room(id).enter(tickets.map((ticketId) => ({ ticketId })));
    const t = (n: number) => tickets[n - 1]!;

    await tick(id); // calls 1–4 (the cap)
    const first = await claimed(id, t(1));
    await claimed(id, t(2));
    await room(id).leave(t(8));
    const accepted = submissionBody(first);
    expect((await submit(id, accepted)).res.status).toBe(201);
    // Refusals: the same account again (duplicate), and a phone.
    expect((await submit(id, submissionBody(await admissionToken(id), { accountId: accepted.accountId }))).res.status).toBe(409);
    expect((await submit(id, submissionBody(await admissionToken(id, { dev: "mobile" })))).res.status).toBe(403);
    await eventually(() => roomMetrics(id), (m) => m.tickets.used === 1);

    let m = await opsMetrics(id);
    expect(m).toMatchObject({
      event: id,
      phase: "open",
      paused: false,
      line: { entered: 8, servingNumber: 4, waiting: 3, requeued: 0, called: 2, admitted: 1, active: 3, used: 1, released: 0, expired: 0, noShows: 0, noShowLapses: 0, left: 1 },
      submissions: { quota: 4, accepted: 1, placesLeft: 3, eligible: 0, duplicatesRefused: 1, deviceRefusals: 1, quotaRefusals: 0, closed: false },
      perMinute: { arrivals: 8, calls: 4, submissions: 1 },
      quotaFillEtaSeconds: 180,
      oldestWaiting: { number: 5 },
      settings: { quota: 4, maxActive: 10, quotaCap: 4 },
    });
    expect(m.wait).toEqual(await referenceWaits(id));
    expect(m.wait.called).toBe(4);

    // A minute later: 3 and 4 never claimed (no-shows), 5 and 6 take their places; 3 comes back (requeued).
    await room(id).advanceClock(61_000);
    await tick(id);
    expect(await room(id).ticketStatus(t(3))).toMatchObject({ state: "requeued" });
    m = await opsMetrics(id);
    expect(m.line).toMatchObject({ servingNumber: 6, waiting: 2, requeued: 1, called: 2, admitted: 1, active: 3, used: 1, noShows: 1, noShowLapses: 2, left: 1 });
    expect(m.perMinute).toMatchObject({ arrivals: 0, calls: 2 });
    expect(m.oldestWaiting?.number).toBe(3);
    expect(m.oldestWaiting?.waitingSeconds).toBeGreaterThanOrEqual(61);
    expect(m.wait).toEqual(await referenceWaits(id));
    expect(m.wait.called).toBe(6);
    expect(m.wait.p95Seconds).toBeGreaterThanOrEqual(61);

    // Past 2's admission (and its margin): it expires; 5 and 6 lapse; 3 is called first, then 7.
    await room(id).advanceClock(630_000);
    await tick(id);
    m = await opsMetrics(id);
    expect(m.line).toMatchObject({ entered: 8, servingNumber: 7, waiting: 0, requeued: 0, called: 2, admitted: 0, active: 2, used: 1, expired: 1, noShows: 3, noShowLapses: 4, left: 1 });
    expect(m.perMinute).toMatchObject({ arrivals: 0, calls: 2 });
    expect(m.oldestWaiting).toBeNull();
    // 3 was called twice but counts once among the called.
    expect(m.wait).toEqual(await referenceWaits(id));
    expect(m.wait.called).toBe(7);
  });

  it("estimates no fill time without submissions, and zero once the quota is filled", async () => {
    const id = uniqueEvent("eta");
    await createEvent(id, { quota: 1 });
    expect((await opsMetrics(id)).quotaFillEtaSeconds).toBeNull();
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const m = await opsMetrics(id);
    expect(m.submissions).toMatchObject({ accepted: 1, placesLeft: 0, closed: true });
    expect(m.quotaFillEtaSeconds).toBe(0);
  });

  it("answers 404 for an event that does not exist", async () => {
    const res = await gateway(`/guichet/ops/api/metrics?event=${uniqueEvent("none")}`, { headers: OPS_AUTH });
    expect(res.status).toBe(404);
  });
});

describe("after the intake closes", () => {
  it("nobody waits any more: waiting, requeued and oldest waiting drop to 0 in the JSON and in Prometheus; waitingAtClose keeps the count", async () => {
    const id = uniqueEvent("staleclose");
    await createEvent(id, { quota: 10, maxActive: 2, admitPerMinute: 100_000 });
    await room(id).enter(Array.from({ length: 6 }, () => ({ ticketId: newTicketId() })));
    await tick(id);
    let m = await opsMetrics(id);
    expect(m.line).toMatchObject({ waiting: 4, active: 2, waitingAtClose: null });
    expect(m.oldestWaiting?.number).toBe(3);
    await room(id).advanceClock(90_000);
    expect((await opsMetrics(id)).oldestWaiting?.waitingSeconds).toBeGreaterThanOrEqual(90);

    expect((await gateway(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers: OPS_AUTH })).status).toBe(200);
    m = await opsMetrics(id);
    expect(m.phase).toBe("closed");
    expect(m.line).toMatchObject({ waiting: 0, requeued: 0, waitingAtClose: 4, entered: 6 });
    expect(m.oldestWaiting).toBeNull();
    // Time passes: nothing grows again.
    await room(id).advanceClock(600_000);
    await tick(id);
    m = await opsMetrics(id);
    expect(m.line).toMatchObject({ waiting: 0, waitingAtClose: 4 });
    expect(m.oldestWaiting).toBeNull();

    forgetMetrics(id);
    const text = await (await gateway(`/guichet/ops/metrics?event=${id}`, { headers: OPS_AUTH })).text();
    const sample = (name: string) => new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text)?.[1];
    expect(sample("guichet_waiting")).toBe("0");
    expect(sample("guichet_oldest_waiting_seconds")).toBe("0");
    expect(sample("guichet_oldest_waiting_number")).toBeUndefined();
    expect(sample("guichet_waiting_at_close")).toBe("4");
    expect(text).toMatch(/^guichet_tickets\{event="[^"]+",state="waiting"\} 0$/m);
    expect(Number(sample("guichet_closed_at_timestamp_seconds"))).toBeGreaterThan(0);
  });
});

describe("the counter's other refusals", () => {
  it("counts admissions used for another application and reviewed namesakes, in the JSON and in Prometheus", async () => {
    const id = uniqueEvent("admused");
    await createEvent(id, { quota: 10 });
    const token = await admissionToken(id);
    const person = applicant();
    expect((await submit(id, submissionBody(token, { applicant: person }))).res.status).toBe(201);
    // The same admission for another account: refused, no place.
    const reused = await submit(id, submissionBody(token));
    expect(reused.body.error.code).toBe("admission_used");
    // The same person under another passport, reviewed by the origin as a namesake: let through.
    const namesake = applicant({ familyName: person.familyName, givenNames: person.givenNames, birthDate: person.birthDate, passportNumber: "NS0000001" });
    expect((await submit(id, submissionBody(await admissionToken(id), { applicant: namesake }))).body.error.code).toBe("duplicate");
    expect((await submit(id, submissionBody(await admissionToken(id), { applicant: namesake, namesakeReviewed: true, namesakeReviewId: "review-1" }))).res.status).toBe(201);
    const m = await opsMetrics(id);
    expect(m.submissions).toMatchObject({ accepted: 2, admissionUsedRefusals: 1, namesakeOverrides: 1, duplicatesRefused: 1 });
    forgetMetrics(id);
    const text = await (await gateway(`/guichet/ops/metrics?event=${id}`, { headers: OPS_AUTH })).text();
    expect(text).toMatch(/^guichet_submissions_refused_total\{event="[^"]+",reason="admission_used"\} 1$/m);
    expect(text).toMatch(/^guichet_namesake_overrides_total\{event="[^"]+"\} 1$/m);
  });
});

describe("the origin's failures", () => {
  /** A request through the proxy of a gateway whose default event is `eventId`, its waitUntil (the report) awaited. */
  async function viaProxy(eventId: string, path: string) {
    forgetSnapshot(eventId);
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { accept: "application/json" } }), { ...env, EVENT_ID: eventId }, ctx);
    await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("are counted by kind in the room, whatever isolate saw them, survive its eviction, and reach the JSON and Prometheus", async () => {
    const id = uniqueEvent("originfail");
    await createEvent(id);
    // The echo origin: /aide/down throws (no answer), /aide/slow outlasts ORIGIN_TIMEOUT_MS (400 ms here), /aide/fail500 answers 503.
    const statuses = await Promise.all([
      viaProxy(id, "/aide/down"),
      viaProxy(id, "/aide/down"),
      viaProxy(id, "/aide/slow?ms=2000"),
      viaProxy(id, "/aide/fail500"),
      viaProxy(id, "/aide/fail500"),
      viaProxy(id, "/aide/fail500"),
      viaProxy(id, "/aide"),
    ]).then((all) => all.map((r) => r.status));
    expect(statuses).toEqual([502, 502, 504, 503, 503, 503, 200]);
    // Another isolate's report adds up in the same place.
    await room(id).noteOriginFailures({ timeout: 4, unreachable: 1 });
    await evictDurableObject(room(id));
    const m = await opsMetrics(id);
    expect(m.origin.failures).toEqual({ timeout: 5, unreachable: 3, server_error: 3 });
    expect(Date.parse(m.origin.lastFailureAt!)).toBeGreaterThan(Date.now() - 60_000);
    forgetMetrics(id);
    const text = await (await gateway(`/guichet/ops/metrics?event=${id}`, { headers: OPS_AUTH })).text();
    expect(text).toMatch(/^guichet_origin_failures_total\{event="[^"]+",kind="timeout"\} 5$/m);
    expect(text).toMatch(/^guichet_origin_failures_total\{event="[^"]+",kind="unreachable"\} 3$/m);
    expect(text).toMatch(/^guichet_origin_failures_total\{event="[^"]+",kind="server_error"\} 3$/m);
  });

  it("ignores a report that is not a small non-negative count of a known kind", async () => {
    const id = uniqueEvent("originbad");
    await createEvent(id);
    await room(id).noteOriginFailures({ timeout: -3, unreachable: 1.5, server_error: 2 ** 60, other: 9 } as never);
    expect((await opsMetrics(id)).origin.failures).toEqual({ timeout: 0, unreachable: 0, server_error: 0 });
  });
});

describe("Durable Object calls per minute", () => {
  it("counts every RPC call and keeps the counts through an eviction", async () => {
    const id = uniqueEvent("rpc");
    await createEvent(id);
    for (let i = 0; i < 5; i++) await room(id).snapshot();
    const served = await runInDurableObject(room(id), (instance: QueueRoom) => [...instance.rpcCalls.values()].reduce((a, b) => a + b, 0));
    const m = await roomMetrics(id); // one more call: metrics itself
    expect(m.rpcCalls.total).toBe(served + 1);
    expect(m.rpcCalls.perMinute).toBeGreaterThanOrEqual(served + 1);
    await evictDurableObject(room(id));
    const after = await roomMetrics(id);
    expect(after.rpcCalls.total).toBe(served + 2);
  });

  it("puts each call in the minute it was served in, when the minute turns between two calls", async () => {
    const id = uniqueEvent("rpcminute");
    await createEvent(id);
    for (let i = 0; i < 4; i++) await room(id).snapshot();
    const before = await runInDurableObject(room(id), (instance: QueueRoom) => [...instance.rpcCalls.values()].reduce((a, b) => a + b, 0));
    const turn = Math.floor(Date.now() / 60_000) + 2;
    // Two minutes on (the room's clock, the one its minutes follow): the next call finds the minute turned.
    await room(id).advanceClock(120_000);
    for (let i = 0; i < 3; i++) await room(id).snapshot();
    const m = await roomMetrics(id); // the fourth call after the turn
    const perMinute = await runInDurableObject(room(id), (_: QueueRoom, state) =>
      state.storage.sql.exec<{ minute: number; rpc_calls: number }>("SELECT minute, rpc_calls FROM minutes WHERE rpc_calls > 0 ORDER BY minute").toArray(),
    );
    const sum = (rows: { rpc_calls: number }[]) => rows.reduce((n, r) => n + r.rpc_calls, 0);
    expect(sum(perMinute.filter((r) => r.minute < turn))).toBe(before);
    expect(sum(perMinute.filter((r) => r.minute >= turn))).toBe(4);
    expect(m.rpcCalls.total).toBe(before + 4);
    // The last 60 s hold the calls after the turn and none of the ones before it.
    expect(m.rpcCalls.perMinute).toBe(4);
  });

  it("counts the counter's calls as well, the ones it served before it knew its event included, through an eviction", async () => {
    const id = uniqueEvent("rpccounter");
    await createEvent(id, { quota: 10 });
    // No event known to the counter yet: the call is counted, and kept until the counter has somewhere to write it.
    expect(await counter(id).receipt("none")).toBeNull();
    for (let i = 0; i < 2; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const served = await runInDurableObject(counter(id), (instance: QuotaCounter) => [...instance.rpcCalls.values()].reduce((a, b) => a + b, 0));
    expect(served).toBeGreaterThanOrEqual(3);
    expect((await counter(id).stats())?.rpcCalls.total).toBe(served + 1);
    await evictDurableObject(counter(id));
    expect((await counter(id).stats())?.rpcCalls.total).toBe(served + 2);
  });
});

/** A small Prometheus text-format parser: families with HELP and TYPE, samples with labels and a number. */
function parsePrometheus(text: string) {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let m = /^# HELP (\S+) (.+)$/.exec(line);
    if (m) {
      help.set(m[1]!, m[2]!);
      continue;
    }
    m = /^# TYPE (\S+) (counter|gauge|summary|histogram|untyped)$/.exec(line);
    if (m) {
      type.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { help, type, samples };
}

describe("Prometheus", () => {
  it("serves text format 0.0.4 that parses: HELP and TYPE for every sample, guichet_ names, numbers, the event label", async () => {
    const id = uniqueEvent("prom");
    await createEvent(id, { quota: 10, maxActive: 2, admitPerMinute: 100_000 });
    await room(id).enter(Array.from({ length: 5 }, () => ({ ticketId: newTicketId() })));
    await tick(id);
    forgetMetrics(id);
    const res = await gateway(`/guichet/ops/metrics?event=${id}`, { headers: OPS_AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text.endsWith("\n")).toBe(true);
    const { help, type, samples } = parsePrometheus(text);
    expect(samples.length).toBeGreaterThan(30);
    for (const s of samples) {
      expect(s.name).toMatch(/^guichet_[a-z0-9_]+$/);
      // Only a summary may carry a quantile label (promtool check metrics refuses it on a gauge).
      expect(s.labels.quantile, s.name).toBeUndefined();
      expect(help.has(s.name), `HELP for ${s.name}`).toBe(true);
      expect(type.has(s.name), `TYPE for ${s.name}`).toBe(true);
      expect(Number.isFinite(s.value), `${s.name} = ${s.value}`).toBe(true);
      expect(s.labels.event).toBe(id);
      if (type.get(s.name) === "counter") expect(s.name).toMatch(/_total$/);
    }
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value("guichet_tickets_entered_total")).toBe(5);
    expect(value("guichet_waiting")).toBe(3);
    expect(value("guichet_active_admissions")).toBe(2);
    expect(value("guichet_tickets", { state: "called" })).toBe(2);
    expect(value("guichet_phase", { phase: "open" })).toBe(1);
    expect(value("guichet_phase", { phase: "closed" })).toBe(0);
    expect(value("guichet_quota")).toBe(10);
    expect(value("guichet_calls_per_minute")).toBe(2);
    expect(value("guichet_wait_to_call_p50_seconds")).toBe(0);
    expect(value("guichet_wait_to_call_p95_seconds")).toBe(0);
    expect(value("guichet_outbox_failing", { object: "quota_counter" })).toBe(0);
    expect(value("guichet_outbox_failing", { object: "queue_room" })).toBe(0);
    for (const kind of ["timeout", "unreachable", "server_error"]) expect(value("guichet_origin_failures_total", { kind })).toBe(0);
    expect(value("guichet_opens_at_timestamp_seconds")).toBeCloseTo(Date.now() / 1000, -2);
    expect(value("guichet_submissions_refused_total", { reason: "admission_used" })).toBe(0);
    expect(value("guichet_namesake_overrides_total")).toBe(0);
    const info = samples.find((x) => x.name === "guichet_build_info")!;
    expect(info.value).toBe(1);
    expect(info.labels).toMatchObject({ event: id, config_version: "1" });
    expect(info.labels.version).toMatch(/./);
    expect(value("guichet_closed_at_timestamp_seconds")).toBeUndefined();
    expect(value("guichet_durable_object_calls_total", { object: "queue_room" })).toBeGreaterThan(0);
  });

  it("needs the ops token", async () => {
    const id = uniqueEvent("promauth");
    await createEvent(id);
    expect((await gateway(`/guichet/ops/metrics?event=${id}`)).status).toBe(401);
    expect((await gateway(`/guichet/ops/metrics?event=${id}`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  });
});

describe("per-minute history", () => {
  it("is copied to D1 by the room's alarm and served from D1", async () => {
    const id = uniqueEvent("history");
    await createEvent(id, { quota: 10, maxActive: 3, admitPerMinute: 100_000 });
    await room(id).enter(Array.from({ length: 5 }, () => ({ ticketId: newTicketId() })));
    await tick(id); // calls 3, copies the minute
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    // The closing copies the last minute at once.
    expect((await gateway(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers: OPS_AUTH })).status).toBe(200);
    // The closing minute's copy says nobody waits any more (its gauge drops to 0 once closed).
    const rows = await eventually(
      async () => (await env.DB.prepare("SELECT * FROM minute_history WHERE event_id = ? ORDER BY minute").bind(id).all<Record<string, number>>()).results,
      (rows) => rows.reduce((n, r) => n + r.arrivals!, 0) === 5 && rows.reduce((n, r) => n + r.calls!, 0) === 3 && rows.at(-1)?.waiting === 0,
    );
    expect(rows.reduce((n, r) => n + r.arrivals!, 0)).toBe(5);
    expect(rows.reduce((n, r) => n + r.calls!, 0)).toBe(3);
    expect(rows.at(-1)).toMatchObject({ waiting: 0, active: 3 });
    // The waits are the minute of the calls', which the closing's minute is not when the clock turned between them.
    expect(rows.find((r) => r.calls! > 0)).toMatchObject({ wait_p50_ms: expect.any(Number) });
    expect(rows.reduce((n, r) => n + r.do_calls_room!, 0)).toBeGreaterThan(0);

    const res = await eventually(
      async () => (await (await gateway(`/guichet/ops/api/history?event=${id}`, { headers: OPS_AUTH })).json()) as any,
      (body) => body.minutes.reduce((n: number, r: any) => n + r.submissions, 0) === 1,
    );
    expect(res.event).toBe(id);
    expect(res.minutes.reduce((n: number, r: any) => n + r.arrivals, 0)).toBe(5);
    expect(res.minutes.reduce((n: number, r: any) => n + r.submissions, 0)).toBe(1);
    expect(res.minutes[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
    expect(typeof res.minutes[0].waitP50Seconds === "number" || res.minutes[0].waitP50Seconds === null).toBe(true);
  });

  it("refuses a malformed range with 400", async () => {
    const res = await gateway(`/guichet/ops/api/history?event=x-1&from=yesterday`, { headers: OPS_AUTH });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_query", field: "from" });
  });
});

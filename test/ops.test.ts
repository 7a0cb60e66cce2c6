// The ops API: authenticated controls that take effect at once and leave an
// audit row with before and after.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admissionToken, counter, createEvent, enter, eventually, gateway, OPS_AUTH, snapshotOf, submissionBody, submit, tick, uniqueEvent } from "./helpers";

function opsCall(path: string, init: RequestInit = {}) {
  return gateway(path, { ...init, headers: { ...OPS_AUTH, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
}

async function auditOf(eventId: string, n: number) {
  return eventually(
    async () => ((await (await opsCall(`/guichet/ops/api/audit?event=${eventId}`)).json()) as any).audit as any[],
    (rows) => rows.length >= n,
  );
}

describe("ops controls", () => {
  it("refuses a missing or wrong token with 401 and changes nothing", async () => {
    const id = uniqueEvent("opsauth");
    await createEvent(id);
    for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: `Bearer ${env.ORIGIN_API_KEY}` }] as Record<string, string>[]) {
      const res = await gateway(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers });
      expect(res.status).toBe(401);
    }
    expect((await snapshotOf(id)).phase).toBe("open");
  });

  it("closes the intake at once (kill switch): no numbers, no submissions, an audit row", async () => {
    const id = uniqueEvent("kill");
    await createEvent(id, { quota: 10 });
    const res = await opsCall(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers: { "x-guichet-operator": "Ana" } });
    expect(res.status).toBe(200);
    expect((await enter(id)).res.status).toBe(410);
    const s = await submit(id, submissionBody(await admissionToken(id)));
    expect(s.res.status).toBe(410);
    expect(s.body.error.code).toBe("closed_by_operator");
    expect(await counter(id).stats()).toMatchObject({ accepted: 0, closed: true, closedReason: "closed_by_operator" });
    const [row] = await auditOf(id, 1);
    expect(row).toMatchObject({ actor: "ops-token (declared: Ana)", action: "event.close", before: { closed: false }, after: { closed: true, reason: "closed_by_operator" } });
  });

  it("pauses and resumes calling", async () => {
    const id = uniqueEvent("opspause");
    await createEvent(id, { maxActive: 2 });
    await enter(id);
    await enter(id);
    expect((await opsCall(`/guichet/ops/api/event/pause?event=${id}`, { method: "POST" })).status).toBe(200);
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(0);
    expect((await opsCall(`/guichet/ops/api/event/resume?event=${id}`, { method: "POST" })).status).toBe(200);
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(2);
    const rows = await auditOf(id, 2);
    expect(rows.map((r) => r.action).sort()).toEqual(["event.pause", "event.resume"]);
  });

  it("changes the quota in both objects, refuses one below the accepted count with 422, and one at it without the typed confirmation", async () => {
    const id = uniqueEvent("opsquota");
    await createEvent(id, { quota: 10 });
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const low = await opsCall(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ quota: 1 }) });
    expect(low.status).toBe(422);
    expect(((await low.json()) as any).error).toMatchObject({ code: "invalid_change", field: "quota", reason: "below_accepted" });
    const negative = await opsCall(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ admitPerMinute: -5 }) });
    expect(negative.status).toBe(422);
    expect(((await negative.json()) as any).error.field).toBe("admitPerMinute");
    // At the accepted count the intake would close: only with the event's id typed.
    const unconfirmed = await opsCall(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ quota: 2 }) });
    expect(unconfirmed.status).toBe(409);
    expect(await counter(id).stats()).toMatchObject({ quota: 10, closed: false });
    const ok = await opsCall(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ quota: 2, confirmClose: id }) });
    expect(ok.status).toBe(200);
    expect(await counter(id).stats()).toMatchObject({ quota: 2, closed: true, closedReason: "quota_reached" });
    expect((await snapshotOf(id)).quota.total).toBe(2);
    const rows = await auditOf(id, 5);
    const update = rows.find((r) => r.action === "event.update");
    expect(update.before.quota).toBe(10);
    expect(update.after.quota).toBe(2);
    expect(rows.filter((r) => r.action === "event.refused").map((r) => r.after.refused.reason).sort()).toEqual(["below_accepted", "too_small", "would_close"]);
    expect(rows.find((r) => r.action === "event.close")).toMatchObject({ before: { closed: false }, after: { closed: true, reason: "quota_reached", via: "event.update" } });
  });
});

// Who may do what on the ops API: OPS_TOKEN (and Cloudflare Access) steer;
// METRICS_TOKEN reads metrics, the stream, Prometheus, the history and the
// event's settings (what a read-only dashboard shows), and is refused
// (403 read_only) everywhere else, changing nothing. With the shared
// OPS_TOKEN, the name in X-Guichet-Operator is recorded as declared, never as
// an identity.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { opsTokenActor } from "../src/routes/ops";
import worker from "../src/worker";
import { admissionToken, BASE, createEvent, d1Submissions, eventually, gateway, OPS_AUTH, snapshotOf, submissionBody, submit, uniqueEvent } from "./helpers";

const METRICS_AUTH = { authorization: `Bearer ${env.METRICS_TOKEN}` };

/** Every read-only route: the metrics, and the event's settings. */
const READS = ["/guichet/ops/api/metrics", "/guichet/ops/api/stream", "/guichet/ops/metrics", "/guichet/ops/api/history", "/guichet/ops/api/event"];

/** Every other ops API route, with a body where it takes one. */
const STEERING: { method: string; path: string; body?: unknown }[] = [
  { method: "PUT", path: "/guichet/ops/api/event", body: { quota: 1, banner: "pris en main" } },
  { method: "POST", path: "/guichet/ops/api/event/pause" },
  { method: "POST", path: "/guichet/ops/api/event/resume" },
  { method: "POST", path: "/guichet/ops/api/event/close" },
  { method: "GET", path: "/guichet/ops/api/audit" },
  { method: "GET", path: "/guichet/ops/api/submissions.csv" },
  // A route nobody wrote yet is refused too (the guard is on /api/*, not on a list).
  { method: "GET", path: "/guichet/ops/api/not-a-route" },
];

function call(method: string, path: string, eventId: string, headers: Record<string, string>, body?: unknown) {
  return gateway(`${path}?event=${eventId}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The status, having read (or, for a stream, cancelled) the body. */
async function statusOf(res: Response): Promise<number> {
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) await res.body!.cancel();
  else await res.arrayBuffer();
  return res.status;
}

async function auditRows(eventId: string): Promise<any[]> {
  return ((await (await gateway(`/guichet/ops/api/audit?event=${eventId}`, { headers: OPS_AUTH })).json()) as any).audit;
}

describe("METRICS_TOKEN", () => {
  it("reads every metrics route and the event's settings: 200", async () => {
    const id = uniqueEvent("mtread");
    await createEvent(id);
    for (const path of READS) expect(await statusOf(await call("GET", path, id, METRICS_AUTH)), path).toBe(200);
    const prometheus = await call("GET", "/guichet/ops/metrics", id, METRICS_AUTH);
    expect(await prometheus.text()).toContain(`event="${id}"`);
    const view = (await (await call("GET", "/guichet/ops/api/event", id, METRICS_AUTH)).json()) as any;
    expect([view.event.id, view.actor]).toEqual([id, "metrics-token"]);
  });

  it("is refused with 403 read_only on every control, the audit and the CSV export, and changes nothing", async () => {
    const id = uniqueEvent("mtsteer");
    await createEvent(id, { quota: 10 });
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    await eventually(() => d1Submissions(id), (rows) => rows.length === 1);
    const before = await snapshotOf(id);
    // Each route with the token alone, with a declared operator, and as a same-site browser would send it.
    const variants: Record<string, string>[] = [
      METRICS_AUTH,
      { ...METRICS_AUTH, "x-guichet-operator": "Lea Roy" },
      { ...METRICS_AUTH, origin: BASE, "sec-fetch-site": "same-origin" },
    ];
    let tried = 0;
    for (const { method, path, body } of STEERING) {
      for (const headers of variants) {
        const res = await call(method, path, id, headers, body);
        const answer = (await res.json()) as any;
        expect([res.status, answer.error.code], `${method} ${path}`).toEqual([403, "read_only"]);
        expect(JSON.stringify(answer)).not.toContain("account_id");
        tried += 1;
      }
    }
    expect(tried).toBe(21);
    const after = await snapshotOf(id);
    expect(after).toMatchObject({ phase: "open", paused: false, configVersion: before.configVersion, quota: { total: 10 } });
    // No audit row: nothing was done (read with OPS_TOKEN after the room's outbox had time to deliver).
    await new Promise((r) => setTimeout(r, 300));
    expect(await auditRows(id)).toEqual([]);
  });

  it("is refused with 401 where it is not set, and a wrong or missing token everywhere", async () => {
    const id = uniqueEvent("mtoff");
    await createEvent(id);
    for (const path of READS) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`${BASE}${path}?event=${id}`, { headers: METRICS_AUTH }), { ...env, METRICS_TOKEN: undefined } as unknown as Env, ctx);
      expect(await statusOf(res), path).toBe(401);
      await waitOnExecutionContext(ctx);
      for (const headers of [{}, { authorization: `Bearer ${env.METRICS_TOKEN}x` }, { authorization: `Bearer ${env.ORIGIN_API_KEY}` }] as Record<string, string>[]) {
        expect(await statusOf(await call("GET", path, id, headers)), path).toBe(401);
      }
    }
  });
});

describe("OPS_TOKEN", () => {
  it("reads and steers: 200 on every route", async () => {
    const id = uniqueEvent("otall");
    await createEvent(id);
    for (const path of READS) expect(await statusOf(await call("GET", path, id, OPS_AUTH)), path).toBe(200);
    for (const { method, path, body } of STEERING.filter((r) => !r.path.endsWith("not-a-route"))) {
      expect(await statusOf(await call(method, path, id, OPS_AUTH, body)), `${method} ${path}`).toBe(200);
    }
    expect(await statusOf(await call("GET", "/guichet/ops/api/not-a-route", id, OPS_AUTH))).toBe(404);
  });

  it("records the X-Guichet-Operator name as declared, whatever it pretends to be", async () => {
    const id = uniqueEvent("otspoof");
    await createEvent(id);
    const declared: [string, string][] = [
      ["access:chief@mifi.example", "ops-token (declared: accesschief@mifi.example)"],
      ["access-service:prometheus.access", "ops-token (declared: access-serviceprometheus.access)"],
      ["ops-token", "ops-token (declared: ops-token)"],
      ["x) (declared: Chief", "ops-token (declared: x declared Chief)"],
      ["Lea Roy; actor=access:boss", "ops-token (declared: Lea Roy actoraccessboss)"],
      ["   ", "ops-token"],
      ["<script>alert(1)</script>", "ops-token (declared: scriptalert1script)"],
      ["A".repeat(200), `ops-token (declared: ${"A".repeat(60)})`],
    ];
    for (const [i, [name, actor]] of declared.entries()) {
      expect(opsTokenActor(name)).toBe(actor);
      // The event view tells the caller how it was recorded; every control is audited the same way.
      const view = await call("GET", "/guichet/ops/api/event", id, { ...OPS_AUTH, "x-guichet-operator": name });
      expect(((await view.json()) as any).actor, name).toBe(actor);
      const res = await call("POST", `/guichet/ops/api/event/${i % 2 ? "resume" : "pause"}`, id, { ...OPS_AUTH, "x-guichet-operator": name });
      expect(res.status).toBe(200);
    }
    const rows = await eventually(() => auditRows(id), (r) => r.length === declared.length);
    expect(rows.length).toBe(declared.length);
    const recorded = rows.map((r) => r.actor).sort();
    expect(recorded).toEqual(declared.map(([, actor]) => actor).sort());
    // No row names an Access identity, nor a bare name: every one is the shared token.
    expect(recorded.every((a: string) => a === "ops-token" || /^ops-token \(declared: [^()]+\)$/.test(a))).toBe(true);
  });
});

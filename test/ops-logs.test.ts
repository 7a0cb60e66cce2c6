// The structured logs (src/ops/log.ts) while a whole journey runs over HTTP:
// the events an operator needs are written, one JSON line each with only
// their fields, and nothing personal ever is: no name, passport, e-mail,
// birth date, account or application id, address, token, ticket or
// operator's declared name. Every console line the Worker and both objects
// write during the journey is captured (the objects run in this isolate).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { logLine } from "../src/ops/log";
import { forgetMetrics } from "../src/ops/metrics";
import worker from "../src/worker";
import { BASE, claim, counter, DESKTOP_UA, eventually, gateway, OPS_AUTH, ORIGIN_AUTH, status, tick, uniqueEvent } from "./helpers";

/** The fields each event may carry (src/ops/log.ts), with `level` and `what`. */
const ALLOWED: Record<string, string[]> = {
  setting_changed: ["event", "actor", "source", "fields", "configVersion"],
  change_refused: ["event", "actor", "field", "reason"],
  intake_closed: ["event", "actor", "reason", "via"],
  outbox_failing: ["event", "object", "pending", "failing"],
  outbox_recovered: ["event", "object"],
  origin_failing: ["event", "timeout", "unreachable", "server_error", "paths"],
  signing_keys: ["kid", "nextKid", "signsFrom", "previousKids"],
};

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const person = {
  familyName: "Côté-Lévesque",
  givenNames: "Marie-Ève Anaïs",
  birthDate: "1983-11-27",
  countryOfBirth: "FR",
  passportNumber: "XK7741209",
  email: "marie-eve.cote@courriel.example",
};
const ACCOUNT = "mpq-acct-884213";
const APPLICATION = "app-2016-775511";
const ADDRESS = "203.0.113.77";
const OPERATOR = "Lea Roy-Tremblay";

function ops(path: string, init: RequestInit = {}) {
  return gateway(path, { ...init, headers: { ...OPS_AUTH, "content-type": "application/json", "x-guichet-operator": OPERATOR, ...(init.headers as Record<string, string>) } });
}

/** Through the proxy of a gateway whose default event is `eventId`, with the request's waitUntil awaited. */
async function viaProxy(eventId: string, path: string, headers: Record<string, string> = {}) {
  forgetSnapshot(eventId);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { accept: "application/json", ...headers } }), { ...env, EVENT_ID: eventId }, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res;
}

describe("structured logs", () => {
  it("say what an operator needs during a whole journey, and never anything personal", async () => {
    const id = uniqueEvent("logs");
    const candidateHeaders = { "cf-connecting-ip": ADDRESS, "user-agent": DESKTOP_UA };
    // An operator creates the event (a setting changed).
    expect((await ops(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ opensAt: new Date(Date.now() - 1000).toISOString(), quota: 5, maxActive: 5 }) })).status).toBe(201);

    // A candidate enters, is called, claims, and the origin submits their application.
    const entered = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: candidateHeaders });
    expect(entered.status).toBe(201);
    const ticket = entered.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.includes("guichet_ticket"))!;
    await tick(id);
    expect((await status(id, ticket)).body.state).toBe("your_turn");
    const claimed = await claim(id, ticket, { headers: candidateHeaders });
    expect(claimed.res.status).toBe(200);
    const token: string = claimed.body.admission.token;
    const body = (accountId: string) => ({
      admissionToken: token,
      accountId,
      applicationId: APPLICATION,
      applicant: person,
      signedByRepresentative: false,
      representativeId: null,
      device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
    });
    const post = (b: unknown) =>
      gateway(`/guichet/api/submissions?event=${id}`, { method: "POST", headers: { ...ORIGIN_AUTH, "content-type": "application/json", ...candidateHeaders }, body: JSON.stringify(b) });
    // D1 is down for the counter's first deliveries: its outbox fails, then recovers.
    await counter(id).stats();
    await counter(id).armFault("d1", 2);
    const accepted = await post(body(ACCOUNT));
    expect(accepted.status).toBe(201);
    expect((await post(body(`${ACCOUNT}-bis`))).status).toBe(409);
    await eventually(
      async () => (await counter(id).stats())?.outbox.failing ?? 0,
      (failing) => failing > 0,
    );
    forgetMetrics(id);
    expect((await ops(`/guichet/ops/metrics?event=${id}`)).status).toBe(200);
    await eventually(
      async () => (await counter(id).stats())?.outbox.pending ?? 1,
      (pending) => pending === 0,
      20_000,
    );
    forgetMetrics(id);
    expect((await ops(`/guichet/ops/api/metrics?event=${id}`)).status).toBe(200);

    // The origin fails on a page whose path names the account.
    expect((await viaProxy(id, `/aide/${ACCOUNT}/down`, candidateHeaders)).status).toBe(502);
    expect((await viaProxy(id, `/aide/${ACCOUNT}/fail500`, candidateHeaders)).status).toBe(503);

    // A refused change, then the quota brought to the accepted count, confirmed: the intake closes.
    expect((await ops(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ banner: `Bonjour ${person.familyName} \u202e` }) })).status).toBe(422);
    expect((await ops(`/guichet/ops/api/event?event=${id}`, { method: "PUT", body: JSON.stringify({ quota: 1, confirmClose: id }) })).status).toBe(200);
    expect((await status(id, ticket)).body.state).toBe("closed");

    const output = lines.join("\n");
    const secrets = [
      person.familyName,
      "Côté",
      person.givenNames,
      "Marie",
      person.birthDate,
      person.passportNumber,
      person.email,
      "courriel.example",
      ACCOUNT,
      APPLICATION,
      ADDRESS,
      "203.0.113",
      OPERATOR,
      "Roy-Tremblay",
      token,
      token.split(".")[2]!,
      ticket.split("=")[1]!,
      env.OPS_TOKEN,
      env.ORIGIN_API_KEY,
      env.TICKET_HMAC_KEY,
      env.IDENTITY_PEPPER,
      "@",
    ];
    for (const secret of secrets) expect(output, `the logs hold ${JSON.stringify(secret)}`).not.toContain(secret);

    // Our lines: one JSON object each, with only its event's fields.
    const events = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events.filter((e) => typeof e.what === "string" && e.what in ALLOWED)) {
      expect(Object.keys(e).sort(), String(e.what)).toEqual(["level", "what", ...ALLOWED[e.what as string]!].sort());
    }
    const ours = events.filter((e) => e.event === id);
    const whats = new Set(ours.map((e) => e.what));
    for (const what of ["setting_changed", "change_refused", "intake_closed", "outbox_failing", "outbox_recovered", "origin_failing"]) {
      expect(whats.has(what), `a ${what} line`).toBe(true);
    }
    expect(ours.find((e) => e.what === "setting_changed")).toMatchObject({ level: "info", actor: "ops_token", source: "ops", configVersion: 1 });
    expect(ours.find((e) => e.what === "change_refused")).toMatchObject({ actor: "ops_token", field: "banner", reason: "forbidden_characters" });
    expect(ours.find((e) => e.what === "intake_closed")).toMatchObject({ level: "warn", actor: "ops_token", reason: "quota_reached", via: "event.update" });
    expect(ours.find((e) => e.what === "outbox_failing")).toMatchObject({ level: "error", object: "quota_counter" });
    const origin = ours.filter((e) => e.what === "origin_failing");
    expect(origin.reduce((n, e) => n + (e.unreachable as number) + (e.server_error as number), 0)).toBe(2);
    for (const e of origin) expect(e.paths).toEqual(["/aide"]);
  });

  it("write a value that could be personal as ?, whatever a caller passes", () => {
    const line = JSON.parse(
      logLine("info", { what: "change_refused", event: "csq-2016-06", actor: "ops_token", field: "Marie Côté <m@x.example>", reason: "a reason with spaces" }),
    );
    expect(line).toEqual({ level: "info", what: "change_refused", event: "csq-2016-06", actor: "ops_token", field: "?", reason: "?" });
    const keys = JSON.parse(logLine("info", { what: "signing_keys", kid: "k-2026-06", nextKid: null, signsFrom: null, previousKids: ["k-old", "not a kid@x"] }));
    expect(keys.previousKids).toEqual(["k-old", "?"]);
  });
});

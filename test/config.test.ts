// The configuration check at a deployed Worker's first request. Each case
// runs the Worker's own fetch with the test pool's bindings changed as a
// deployment might get them wrong: without GUICHET_ENV (deployed, strict) or
// with GUICHET_ENV = "development" (what `npm run dev` and these pools set).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/worker";
import { createEvent, OPS_AUTH, room, snapshotOf, tick, uniqueEvent } from "./helpers";

type Bindings = Record<string, unknown>;

/** A deployment done right: what every case below starts from. */
const DEPLOYED: Bindings = { GUICHET_ENV: undefined, ENABLE_TEST_SEAMS: undefined, GATEWAY_ISSUER: "https://guichet.example", ORIGIN_URL: "" };
const DEVELOPMENT: Bindings = { GUICHET_ENV: "development", GATEWAY_ISSUER: "", ORIGIN_URL: "" };

async function fetchWith(bindings: Bindings, path: string, init: RequestInit = {}, base = "https://guichet.example") {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${base}${path}`, init), { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function newEcJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
}

const current = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
const previous = JSON.parse(env.TEST_PREVIOUS_SIGNING_JWK) as JWK;
const publicOf = ({ kty, crv, x, y, kid }: JWK) => ({ kty, crv, x, y, kid });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const previousJwks = (...keys: object[]) => JSON.stringify({ keys });

/** Settings a deployment may get wrong, each with the setting the answer must name. */
async function deployedMistakes(): Promise<[string, Bindings, string][]> {
  const other = await newEcJwk("k-other");
  return [
    ["no issuer", { GATEWAY_ISSUER: "" }, "GATEWAY_ISSUER"],
    ["an http issuer", { GATEWAY_ISSUER: "http://guichet.example" }, "GATEWAY_ISSUER"],
    ["an issuer that is no URL", { GATEWAY_ISSUER: "guichet.example" }, "GATEWAY_ISSUER"],
    ["an issuer with credentials", { GATEWAY_ISSUER: "https://ops:secret@guichet.example" }, "GATEWAY_ISSUER"],
    ["an issuer with a query", { GATEWAY_ISSUER: "https://guichet.example/?x=1" }, "GATEWAY_ISSUER"],
    ["no origin at all", { ORIGIN: undefined, ORIGIN_URL: "" }, "ORIGIN_URL"],
    ["an http origin", { ORIGIN: undefined, ORIGIN_URL: "http://mpq.example" }, "ORIGIN_URL"],
    ["an origin that is no URL", { ORIGIN: undefined, ORIGIN_URL: "mpq.example" }, "ORIGIN_URL"],
    ["no signing key", { ADMISSION_SIGNING_JWK: "" }, "ADMISSION_SIGNING_JWK"],
    ["a signing key that is not JSON", { ADMISSION_SIGNING_JWK: "{not json" }, "ADMISSION_SIGNING_JWK"],
    ["a public signing key", { ADMISSION_SIGNING_JWK: JSON.stringify(publicOf(current)) }, "ADMISSION_SIGNING_JWK"],
    ["a signing key without kid", { ADMISSION_SIGNING_JWK: JSON.stringify({ ...current, kid: undefined }) }, "ADMISSION_SIGNING_JWK"],
    ["a signing key on another curve", { ADMISSION_SIGNING_JWK: JSON.stringify({ ...current, crv: "P-384" }) }, "ADMISSION_SIGNING_JWK"],
    ["a signing key whose d is another key's", { ADMISSION_SIGNING_JWK: JSON.stringify({ ...current, d: other.d }) }, "ADMISSION_SIGNING_JWK"],
    ["a signing key off the curve", { ADMISSION_SIGNING_JWK: JSON.stringify({ ...current, x: "A".repeat(43) }) }, "ADMISSION_SIGNING_JWK"],
    ["a previous key without expiresAt", { ADMISSION_PREVIOUS_JWKS: previousJwks(publicOf(previous)) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key expiring 'tomorrow'", { ADMISSION_PREVIOUS_JWKS: previousJwks({ ...publicOf(previous), expiresAt: "tomorrow" }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key expiring on a date only", { ADMISSION_PREVIOUS_JWKS: previousJwks({ ...publicOf(previous), expiresAt: "2030-01-01" }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key expiring next year", { ADMISSION_PREVIOUS_JWKS: previousJwks({ ...publicOf(previous), expiresAt: inDays(365) }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key with its private part", { ADMISSION_PREVIOUS_JWKS: previousJwks({ ...previous, expiresAt: inDays(1) }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key with the current kid", { ADMISSION_PREVIOUS_JWKS: previousJwks({ ...publicOf(other), kid: current.kid, expiresAt: inDays(1) }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["a previous key that is RSA", { ADMISSION_PREVIOUS_JWKS: previousJwks({ kty: "RSA", n: "AQAB", e: "AQAB", kid: "r", expiresAt: inDays(1) }) }, "ADMISSION_PREVIOUS_JWKS"],
    ["previous keys as a bare array", { ADMISSION_PREVIOUS_JWKS: JSON.stringify([{ ...publicOf(previous), expiresAt: inDays(1) }]) }, "ADMISSION_PREVIOUS_JWKS"],
    ["no ticket key", { TICKET_HMAC_KEY: "" }, "TICKET_HMAC_KEY"],
    ["no identity pepper", { IDENTITY_PEPPER: undefined }, "IDENTITY_PEPPER"],
    ["a guessable OPS_TOKEN", { OPS_TOKEN: "changeme" }, "OPS_TOKEN"],
    ["a long but repetitive OPS_TOKEN", { OPS_TOKEN: "ab".repeat(24) }, "OPS_TOKEN"],
    ["a short ORIGIN_API_KEY", { ORIGIN_API_KEY: "k3Y-9xQ2mZ7pL4wT" }, "ORIGIN_API_KEY"],
    ["no METRICS_TOKEN", { METRICS_TOKEN: undefined }, "METRICS_TOKEN"],
    ["a METRICS_TOKEN with spaces", { METRICS_TOKEN: `${env.METRICS_TOKEN} ${env.METRICS_TOKEN}` }, "METRICS_TOKEN"],
    ["METRICS_TOKEN equal to OPS_TOKEN", { METRICS_TOKEN: env.OPS_TOKEN }, "METRICS_TOKEN"],
    ["ORIGIN_API_KEY equal to OPS_TOKEN", { ORIGIN_API_KEY: env.OPS_TOKEN }, "ORIGIN_API_KEY"],
    ["GUICHET_ENV misspelt", { GUICHET_ENV: "dev" }, "GUICHET_ENV"],
    ["receipt keys that are not JSON", { RECEIPT_HMAC_KEYS: "{current" }, "RECEIPT_HMAC_KEYS"],
    ["receipt keys whose current kid has no key", { RECEIPT_HMAC_KEYS: JSON.stringify({ current: "r9", keys: { r1: "x".repeat(40) } }) }, "RECEIPT_HMAC_KEYS"],
    ["a location hint that is no region", { OBJECTS_LOCATION_HINT: "montreal" }, "OBJECTS_LOCATION_HINT"],
    ["a closing time that is no instant", { INTAKE_CLOSES_AT: "30 juin 16 h 30" }, "INTAKE_CLOSES_AT"],
    ["a closing time without its offset", { INTAKE_CLOSES_AT: "2016-06-30T16:30:00" }, "INTAKE_CLOSES_AT"],
  ];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a deployed Worker (no GUICHET_ENV)", () => {
  it("serves when the configuration is right, and signs under GATEWAY_ISSUER whatever the Host", async () => {
    const id = uniqueEvent("cfgok");
    await createEvent(id);
    const health = await fetchWith(DEPLOYED, "/guichet/healthz");
    expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
    // Entered and claimed through a Host of the client's choosing: the token still names the configured issuer.
    const entered = await fetchWith(DEPLOYED, `/guichet/api/enter?event=${id}`, { method: "POST" }, "https://attacker.example");
    expect(entered.status).toBe(201);
    const cookie = entered.headers.getSetCookie()[0]!.split(";")[0]!;
    await tick(id);
    const claimed = await fetchWith(DEPLOYED, `/guichet/api/claim?event=${id}`, { method: "POST", headers: { cookie } }, "https://attacker.example");
    expect(claimed.status).toBe(200);
    const token = ((await claimed.json()) as any).admission.token as string;
    expect(decodeJwt(token).iss).toBe("https://guichet.example");
  });

  it("answers every request 503 misconfigured, naming the setting at fault, for each of 38 mistakes", async () => {
    const id = uniqueEvent("cfgbad");
    await createEvent(id);
    const mistakes = await deployedMistakes();
    expect(mistakes.length).toBe(38);
    const secretValues = [env.OPS_TOKEN, env.METRICS_TOKEN!, env.ORIGIN_API_KEY, env.TICKET_HMAC_KEY, env.IDENTITY_PEPPER, current.d!, previous.d!, "changeme"];
    for (const [what, bindings, setting] of mistakes) {
      const res = await fetchWith({ ...DEPLOYED, ...bindings }, "/guichet/healthz");
      const text = await res.text();
      expect(res.status, what).toBe(503);
      const body = JSON.parse(text);
      expect(body.error.code, what).toBe("misconfigured");
      expect(body.error.settings, what).toContain(setting);
      expect(body.error.message, what).toContain(setting);
      expect(res.headers.get("cache-control"), what).toBe("no-store");
      for (const secret of secretValues) expect(text.includes(secret), `${what}: a secret value in the answer`).toBe(false);
    }
  });

  it("refuses every kind of request, touches no object, and says so in English on request", async () => {
    const id = uniqueEvent("cfgall");
    await createEvent(id);
    const broken = { ...DEPLOYED, GATEWAY_ISSUER: "" };
    const requests: [string, RequestInit][] = [
      ["/guichet/healthz", {}],
      ["/guichet/", {}],
      [`/guichet/api/enter?event=${id}`, { method: "POST" }],
      [`/guichet/api/status?event=${id}`, {}],
      ["/.well-known/jwks.json", {}],
      [`/guichet/ops/api/metrics?event=${id}`, { headers: OPS_AUTH }],
      [`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers: OPS_AUTH }],
      ["/connexion", {}],
      ["/static/app.css", {}],
    ];
    for (const [path, init] of requests) {
      const res = await fetchWith(broken, path, init);
      expect([path, res.status, ((await res.json()) as any).error.code]).toEqual([path, 503, "misconfigured"]);
    }
    const s = await snapshotOf(id);
    expect([s.nextNumber, s.phase]).toEqual([1, "open"]);
    const fr = (await (await fetchWith(broken, "/guichet/healthz")).json()) as any;
    expect(fr.error.message).toBe("Le service est mal configuré : GATEWAY_ISSUER.");
    const en = (await (await fetchWith(broken, "/guichet/healthz?lang=en")).json()) as any;
    expect(en.error.message).toBe("The service is misconfigured: GATEWAY_ISSUER.");
    expect(en.error.problems).toEqual([{ setting: "GATEWAY_ISSUER", problem: expect.stringContaining("not set") }]);
  });

  it("checks once per configuration and logs one structured line without values", async () => {
    const errors = vi.spyOn(console, "error");
    const broken = { ...env, ...DEPLOYED, OPS_TOKEN: "changeme", ADMISSION_PREVIOUS_JWKS: previousJwks(publicOf(previous)) } as Env;
    for (let i = 0; i < 50; i++) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request("https://guichet.example/guichet/healthz"), broken, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(503);
    }
    const lines = errors.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('"misconfigured"'));
    expect(lines.length).toBe(1);
    const logged = JSON.parse(lines[0]!);
    expect(logged).toMatchObject({ level: "error", what: "misconfigured", development: false });
    expect(logged.problems.map((p: { setting: string }) => p.setting).sort()).toEqual(["ADMISSION_PREVIOUS_JWKS", "OPS_TOKEN"]);
    expect(lines[0]).not.toContain("changeme");
    expect(lines[0]).not.toContain(previous.x!);
  });
});

describe("development (GUICHET_ENV = development)", () => {
  it("lets the issuer fall back to the request's origin; a plain-http origin, a weak token and no METRICS_TOKEN pass", async () => {
    const id = uniqueEvent("cfgdev");
    await createEvent(id);
    const dev = { ...DEVELOPMENT, ORIGIN: undefined, ORIGIN_URL: "http://127.0.0.1:8788", OPS_TOKEN: "dev", METRICS_TOKEN: undefined };
    expect((await fetchWith(dev, "/guichet/healthz")).status).toBe(200);
    const entered = await fetchWith(DEVELOPMENT, `/guichet/api/enter?event=${id}`, { method: "POST" }, "http://localhost:8787");
    const cookie = entered.headers.getSetCookie()[0]!.split(";")[0]!;
    await tick(id);
    const claimed = await fetchWith(DEVELOPMENT, `/guichet/api/claim?event=${id}`, { method: "POST", headers: { cookie } }, "http://localhost:8787");
    expect(decodeJwt(((await claimed.json()) as any).admission.token).iss).toBe("http://localhost:8787");
  });

  it("still refuses a previous key without expiry, equal bearer tokens and an issuer that is no URL", async () => {
    const cases: [Bindings, string][] = [
      [{ ADMISSION_PREVIOUS_JWKS: previousJwks(publicOf(previous)) }, "ADMISSION_PREVIOUS_JWKS"],
      [{ ADMISSION_PREVIOUS_JWKS: previousJwks({ ...publicOf(previous), expiresAt: "" }) }, "ADMISSION_PREVIOUS_JWKS"],
      [{ ADMISSION_SIGNING_JWK: JSON.stringify(publicOf(current)) }, "ADMISSION_SIGNING_JWK"],
      [{ METRICS_TOKEN: env.OPS_TOKEN }, "METRICS_TOKEN"],
      [{ GATEWAY_ISSUER: "localhost:8787" }, "GATEWAY_ISSUER"],
      [{ OPS_TOKEN: "" }, "OPS_TOKEN"],
    ];
    for (const [bindings, setting] of cases) {
      const res = await fetchWith({ ...DEVELOPMENT, ...bindings }, "/guichet/healthz");
      expect([res.status, ((await res.json()) as any).error.settings]).toEqual([503, [setting]]);
    }
  });
});

describe("the room is untouched by a refused configuration", () => {
  it("numbers nothing while misconfigured, then serves once the configuration is right", async () => {
    const id = uniqueEvent("cfgroom");
    await createEvent(id);
    const broken = { ...DEPLOYED, ADMISSION_PREVIOUS_JWKS: previousJwks(publicOf(previous)) };
    const refused = await Promise.all(Array.from({ length: 20 }, () => fetchWith(broken, `/guichet/api/enter?event=${id}`, { method: "POST" })));
    expect(refused.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect((await snapshotOf(id)).nextNumber).toBe(1);
    expect((await fetchWith(DEPLOYED, `/guichet/api/enter?event=${id}`, { method: "POST" })).status).toBe(201);
    expect((await room(id).snapshot()) as any).toMatchObject({ nextNumber: 2 });
  });
});

describe("where an event's objects are created", () => {
  it("hints every call at OBJECTS_LOCATION_HINT, eastern North America by default", async () => {
    const { locationHintOf } = await import("../src/durable/shared/stubs");
    expect(locationHintOf({})).toBe("enam");
    expect(locationHintOf({ OBJECTS_LOCATION_HINT: "" })).toBe("enam");
    expect(locationHintOf({ OBJECTS_LOCATION_HINT: "weur" })).toBe("weur");
    expect(env.OBJECTS_LOCATION_HINT).toBe("enam");
  });
});

// The signing key's two-phase rotation (issue 34, item 6). Origins keep the
// JWKS for a while, so a new key must be published before anything is
// signed with it: ADMISSION_NEXT_JWK is listed at once and signs from its
// signFrom; the old key stays listed while configured, then as a previous
// key. Here the whole rotation runs under load through the Worker's own fetch
// (publish, switch, settle: three configurations, as three deployments would
// give them) while a verifier that caches the JWKS as the docs' example does
// (jose's createRemoteJWKSet, which refetches an unknown kid only after its
// cooldown) checks every token the moment it is issued: none is refused.
// Durations are scaled down: the verifier keeps the key set 3 s (the docs
// allow 15 minutes), the next key signs 4 s after it is published (the
// procedure asks for 20 minutes at least).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import { BASE, counter, createEvent, DESKTOP_UA, enter, submissionBody, tick, uniqueEvent } from "./helpers";

type Bindings = Record<string, unknown>;

async function fetchWith(bindings: Bindings, path: string, init: RequestInit = {}, base = BASE) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${base}${path}`, init), { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function newKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

const publicOf = ({ kty, crv, x, y, kid }: JWK) => ({ kty, crv, x, y, kid });
const iso = (ms: number) => new Date(ms).toISOString();
const kidsOf = async (bindings: Bindings) => ((await (await fetchWith(bindings, "/.well-known/jwks.json")).json()) as { keys: JWK[] }).keys.map((k) => k.kid);

describe("ADMISSION_NEXT_JWK", () => {
  it("is published at once and signs only from signFrom, the signing key still listed beside it", async () => {
    const k1 = await newKey("k1-publish");
    const k2 = await newKey("k2-publish");
    const base = { ADMISSION_SIGNING_JWK: JSON.stringify(k1), ADMISSION_PREVIOUS_JWKS: "none", ADMISSION_NEXT_JWK: "none" };
    expect(await kidsOf(base)).toEqual(["k1-publish"]);
    const ahead = { ...base, ADMISSION_NEXT_JWK: JSON.stringify({ ...k2, signFrom: iso(Date.now() + 3_600_000) }) };
    const taken = { ...base, ADMISSION_NEXT_JWK: JSON.stringify({ ...k2, signFrom: iso(Date.now() - 1000) }) };
    // Published before it signs: the key that signs now comes first.
    expect(await kidsOf(ahead)).toEqual(["k1-publish", "k2-publish"]);
    expect(await kidsOf(taken)).toEqual(["k2-publish", "k1-publish"]);
    const id = uniqueEvent("next");
    await createEvent(id, { quota: 10 });
    const kidOfClaim = async (bindings: Bindings) => {
      const t = await fetchWith(bindings, `/guichet/api/enter?event=${id}`, { method: "POST" });
      const cookie = t.headers.getSetCookie()[0]!.split(";")[0]!;
      await tick(id);
      const c = (await (await fetchWith(bindings, `/guichet/api/claim?event=${id}`, { method: "POST", headers: { cookie } })).json()) as any;
      return { token: c.admission.token as string, kid: decodeProtectedHeader(c.admission.token).kid };
    };
    const before = await kidOfClaim(ahead);
    const after = await kidOfClaim(taken);
    expect([before.kid, after.kid]).toEqual(["k1-publish", "k2-publish"]);
    // Both verify at the gateway while both are configured.
    for (const { token } of [before, after]) {
      const r = await fetchWith(taken, `/guichet/api/submissions?event=${id}`, { method: "POST", headers: { authorization: `Bearer ${env.ORIGIN_API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(submissionBody(token)) });
      expect(r.status).toBe(201);
    }
  });

  it("is refused by a deployed gateway's check when it cannot be used safely, and accepted as none, empty or the signing key itself", async () => {
    const k1 = await newKey("k1-check");
    const k2 = await newKey("k2-check");
    const deployed = { GUICHET_ENV: undefined, ENABLE_TEST_SEAMS: undefined, GATEWAY_ISSUER: "https://guichet.example", ORIGIN_URL: "", ADMISSION_SIGNING_JWK: JSON.stringify(k1), ADMISSION_PREVIOUS_JWKS: "none" };
    const soon = iso(Date.now() + 3_600_000);
    const mistakes: [string, string][] = [
      ["not JSON", "{"],
      ["no signFrom", JSON.stringify(k2)],
      ["signFrom a date only", JSON.stringify({ ...k2, signFrom: "2030-01-01" })],
      ["signFrom next year", JSON.stringify({ ...k2, signFrom: iso(Date.now() + 365 * 86_400_000) })],
      ["its public part only", JSON.stringify({ ...publicOf(k2), signFrom: soon })],
      ["the signing key's kid on another key", JSON.stringify({ ...k2, kid: "k1-check", signFrom: soon })],
      ["a d that is not its own", JSON.stringify({ ...k2, d: k1.d, signFrom: soon })],
      ["another curve", JSON.stringify({ ...k2, crv: "P-384", signFrom: soon })],
    ];
    for (const [what, value] of mistakes) {
      const res = await fetchWith({ ...deployed, ADMISSION_NEXT_JWK: value }, "/guichet/healthz", {}, "https://guichet.example");
      const body = (await res.json()) as any;
      expect([what, res.status, body.error.settings]).toEqual([what, 503, ["ADMISSION_NEXT_JWK"]]);
      expect(JSON.stringify(body)).not.toContain(k2.d);
    }
    for (const fine of ["none", "", "NONE", JSON.stringify({ ...k1, signFrom: soon }), JSON.stringify({ ...k2, signFrom: soon })]) {
      expect((await fetchWith({ ...deployed, ADMISSION_NEXT_JWK: fine }, "/guichet/healthz", {}, "https://guichet.example")).status).toBe(200);
    }
    // The next key's kid may not repeat a previous key's either.
    const previous = JSON.stringify({ keys: [{ ...publicOf(k2), expiresAt: soon }] });
    const clash = await fetchWith({ ...deployed, ADMISSION_PREVIOUS_JWKS: previous, ADMISSION_NEXT_JWK: JSON.stringify({ ...(await newKey("k2-check")), signFrom: soon }) }, "/guichet/healthz", {}, "https://guichet.example");
    expect(((await clash.json()) as any).error.settings).toEqual(["ADMISSION_PREVIOUS_JWKS"]);
  });

  it("refuses a previous key's private part deployed, and keeps it in development for the conformance kit (never listing it)", async () => {
    const k1 = await newKey("k1-private");
    const old = await newKey("k0-private");
    const previous = JSON.stringify({ keys: [{ ...old, expiresAt: iso(Date.now() + 86_400_000) }] });
    const deployed = await fetchWith({ GUICHET_ENV: undefined, ENABLE_TEST_SEAMS: undefined, GATEWAY_ISSUER: "https://guichet.example", ORIGIN_URL: "", ADMISSION_SIGNING_JWK: JSON.stringify(k1), ADMISSION_PREVIOUS_JWKS: previous }, "/guichet/healthz", {}, "https://guichet.example");
    expect(deployed.status).toBe(503);
    expect(((await deployed.json()) as any).error.problems).toEqual([{ setting: "ADMISSION_PREVIOUS_JWKS", problem: "keys[0].d: a previous key is listed publicly: give its public part only (no d)" }]);
    const jwks = (await (await fetchWith({ ADMISSION_SIGNING_JWK: JSON.stringify(k1), ADMISSION_PREVIOUS_JWKS: previous }, "/.well-known/jwks.json")).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(["k1-private", "k0-private"]);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });
});

describe("a rotation under load", () => {
  it("publishes, switches and settles while 300 admissions are claimed, verified by a caching verifier and submitted: none refused", async () => {
    const id = uniqueEvent("rotate");
    const CANDIDATES = 300;
    await createEvent(id, { quota: 5000, maxActive: 1000, admitPerMinute: 100_000 });
    const k1 = await newKey("k1-load");
    const k2 = await newKey("k2-load");
    const before: Bindings = { ADMISSION_SIGNING_JWK: JSON.stringify(k1), ADMISSION_NEXT_JWK: "none", ADMISSION_PREVIOUS_JWKS: "none" };
    let current = before;

    const cookies: string[] = [];
    for (let i = 0; i < CANDIDATES; i += 50) {
      const entered = await Promise.all(Array.from({ length: 50 }, () => fetchWith(current, `/guichet/api/enter?event=${id}`, { method: "POST" })));
      for (const e of entered) cookies.push(e.headers.getSetCookie()[0]!.split(";")[0]!);
    }
    await tick(id);

    // The docs' verifier, scaled: keeps the key set 3 s, refetches for an unknown kid at most every 3 s.
    let jwksFetches = 0;
    const keys = createRemoteJWKSet(new URL(`${BASE}/.well-known/jwks.json`), {
      cacheMaxAge: 3000,
      cooldownDuration: 3000,
      [customFetch]: (url: string, init: RequestInit) => {
        jwksFetches += 1;
        return fetchWith(current, new URL(url).pathname, init);
      },
    });
    // Warm: the verifier holds the old key set when the rotation starts.
    expect(await keys.reload().then(() => keys.jwks()?.keys.map((k) => k.kid))).toEqual(["k1-load"]);

    const t0 = Date.now();
    const publish: Bindings = { ...before, ADMISSION_NEXT_JWK: JSON.stringify({ ...k2, signFrom: iso(t0 + 4000) }) };
    const settle: Bindings = { ADMISSION_SIGNING_JWK: JSON.stringify(k2), ADMISSION_NEXT_JWK: "none", ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...publicOf(k1), expiresAt: iso(t0 + 3_600_000) }] }) };
    current = publish;

    const refusals: string[] = [];
    const issued: { token: string; kid: string | undefined; phase: string }[] = [];
    const started = Date.now();
    for (let i = 0; i < CANDIDATES; i += 3) {
      // Settled 8 s in, as a deployment would: the old key moves to ADMISSION_PREVIOUS_JWKS.
      if (Date.now() - t0 >= 8000 && current !== settle) current = settle;
      const phase = current === settle ? "settled" : Date.now() < t0 + 4000 ? "published" : "switched";
      await Promise.all(
        cookies.slice(i, i + 3).map(async (cookie) => {
          const claimed = await fetchWith(current, `/guichet/api/claim?event=${id}`, { method: "POST", headers: { cookie } });
          if (claimed.status !== 200) return void refusals.push(`claim ${claimed.status}`);
          const token = ((await claimed.json()) as any).admission.token as string;
          issued.push({ token, kid: decodeProtectedHeader(token).kid, phase });
          try {
            await jwtVerify(token, keys, { issuer: BASE, audience: "mpq-origin", algorithms: ["ES256"] });
          } catch (e) {
            refusals.push(`verifier ${phase} ${decodeProtectedHeader(token).kid}: ${(e as Error).name}`);
          }
          const submitted = await fetchWith(current, `/guichet/api/submissions?event=${id}`, {
            method: "POST",
            headers: { authorization: `Bearer ${env.ORIGIN_API_KEY}`, "content-type": "application/json" },
            body: JSON.stringify(submissionBody(token, { device: { userAgent: DESKTOP_UA } })),
          });
          if (submitted.status !== 201) refusals.push(`gateway ${phase} ${submitted.status}`);
        }),
      );
      // About 12 s in all: 100 rounds of 3 claims.
      const due = started + ((i + 3) / CANDIDATES) * 12_000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }

    expect(refusals).toEqual([]);
    expect(issued.length).toBe(CANDIDATES);
    // Every phase was under load, and the switch happened: old key before signFrom, new key after.
    const count = (phase: string, kid: string) => issued.filter((t) => t.phase === phase && t.kid === kid).length;
    expect(count("published", "k1-load")).toBeGreaterThan(50);
    expect(count("published", "k2-load")).toBe(0);
    expect(count("switched", "k2-load")).toBeGreaterThan(50);
    expect(count("settled", "k2-load")).toBeGreaterThan(50);
    expect(count("switched", "k1-load") + count("settled", "k1-load")).toBe(0);
    // The verifier saw the new key by fetching the JWKS as it ages, not by refetching on an unknown kid.
    expect(jwksFetches).toBeGreaterThanOrEqual(3);
    expect((await counter(id).stats())!.accepted).toBe(CANDIDATES);
    // After settling, the old key's tokens still verify, until its expiresAt.
    const oldToken = issued.find((t) => t.kid === "k1-load")!.token;
    await expect(jwtVerify(oldToken, keys, { issuer: BASE, audience: "mpq-origin" })).resolves.toBeTruthy();
  }, 60_000);
});

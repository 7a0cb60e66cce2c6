// What an origin team gets to build and test its verifier (issue 34): the
// discovery document stock middleware reads, and the conformance kit, one
// token of each kind with its verdict, served only with test seams on and
// never by a deployed gateway.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../src/worker";
import { BASE, gateway } from "./helpers";

type Bindings = Record<string, unknown>;

async function fetchWith(bindings: Bindings, path: string, base = BASE) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${base}${path}`), { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

// The test pool's previous key, with the private part development may keep (the kit signs with it).
const previous = JSON.parse(env.TEST_PREVIOUS_SIGNING_JWK) as JWK;
const WITH_PREVIOUS = { ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...previous, expiresAt: new Date(Date.now() + 86_400_000).toISOString() }] }) };

const KINDS = ["valid", "expired", "not_yet_valid", "other_audience", "other_event", "session", "previous_key", "unknown_key"];

/** A verifier as the docs write it: ES256, kid among the JWKS, iss, aud, 5 s leeway, the claims' types, evt and scope. */
async function docsVerdict(token: string, jwks: { keys: JWK[] }, event: string): Promise<"accept" | "expired" | "invalid"> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ["ES256"],
      issuer: BASE,
      audience: "mpq-origin",
      requiredClaims: ["sub", "jti", "iat", "nbf", "exp", "evt", "num", "dev", "scope"],
      clockTolerance: 5,
    });
    if (payload.evt !== event || payload.scope !== "admission" || !Number.isSafeInteger(payload.num) || !["desktop", "mobile", "tablet"].includes(payload.dev as string)) return "invalid";
    return "accept";
  } catch (e) {
    return e instanceof errors.JWTExpired ? "expired" : "invalid";
  }
}

describe("the conformance kit (GET /guichet/dev/tokens)", () => {
  it("mints one token of each kind, each with the verdict a verifier written from the docs gives it", async () => {
    const res = await fetchWith(WITH_PREVIOUS, "/guichet/dev/tokens?event=csq-2016-06");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const kit = (await res.json()) as any;
    expect(kit).toMatchObject({ issuer: BASE, audience: "mpq-origin", event: "csq-2016-06", jwksUri: `${BASE}/.well-known/jwks.json` });
    expect(Object.keys(kit.tokens)).toEqual(KINDS);
    const jwks = (await (await fetchWith(WITH_PREVIOUS, "/.well-known/jwks.json")).json()) as { keys: JWK[] };
    const current = JSON.parse(env.ADMISSION_SIGNING_JWK).kid;
    for (const name of KINDS) {
      const t = kit.tokens[name];
      expect(typeof t.token, name).toBe("string");
      expect(decodeProtectedHeader(t.token).kid, name).toBe(t.kid);
      const verdict = await docsVerdict(t.token, jwks, "csq-2016-06");
      expect([name, verdict]).toEqual([name, t.expect === "accept" ? "accept" : t.refusal]);
    }
    expect(kit.tokens.valid.kid).toBe(current);
    expect(kit.tokens.previous_key.kid).toBe("k-previous");
    expect(kit.tokens.unknown_key.kid).toMatch(/^kit-unknown-/);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(kit.tokens.unknown_key.kid);
    expect(decodeJwt(kit.tokens.session.token)).toMatchObject({ scope: "session", num: 0 });
    expect(decodeJwt(kit.tokens.valid.token)).toMatchObject({ scope: "admission", evt: "csq-2016-06", iss: BASE, aud: "mpq-origin" });
  });

  it("names the previous-key token missing when no previous key keeps its private part", async () => {
    const kit = (await (await gateway("/guichet/dev/tokens")).json()) as any;
    expect(kit.tokens.previous_key).toMatchObject({ token: null, expect: "accept" });
    expect(kit.tokens.previous_key.missing).toMatch(/ADMISSION_PREVIOUS_JWKS/);
  });

  it("signs with the old key as the previous one once a next key has taken over", async () => {
    const next = { ...(JSON.parse(env.TEST_RETIRED_SIGNING_JWK) as JWK), kid: "k-next-kit", signFrom: new Date(Date.now() - 1000).toISOString() };
    const kit = (await (await fetchWith({ ADMISSION_NEXT_JWK: JSON.stringify(next) }, "/guichet/dev/tokens")).json()) as any;
    expect(kit.tokens.valid.kid).toBe("k-next-kit");
    expect(kit.tokens.previous_key.kid).toBe(JSON.parse(env.ADMISSION_SIGNING_JWK).kid);
  });

  it("is 404 without test seams, and a deployed gateway refuses to run with them", async () => {
    const off = await fetchWith({ ENABLE_TEST_SEAMS: undefined }, "/guichet/dev/tokens");
    expect(off.status).toBe(404);
    expect(((await off.json()) as any).error.code).toBe("not_found");
    for (const value of ["false", "0"]) expect((await fetchWith({ ENABLE_TEST_SEAMS: value }, "/guichet/dev/tokens")).status).toBe(404);
    const deployed = { GUICHET_ENV: undefined, GATEWAY_ISSUER: "https://guichet.example", ORIGIN_URL: "" };
    for (const path of ["/guichet/dev/tokens", "/guichet/healthz"]) {
      const res = await fetchWith({ ...deployed, ENABLE_TEST_SEAMS: "true" }, path, "https://guichet.example");
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.settings).toEqual(["ENABLE_TEST_SEAMS"]);
    }
    expect((await fetchWith({ ...deployed, ENABLE_TEST_SEAMS: undefined }, "/guichet/dev/tokens", "https://guichet.example")).status).toBe(404);
  });
});

describe("discovery (GET /.well-known/openid-configuration)", () => {
  it("names the issuer and the JWKS, as .NET JwtBearer and Spring's issuer-uri read them", async () => {
    const res = await gateway("/.well-known/openid-configuration");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const doc = (await res.json()) as any;
    expect(doc).toEqual({ issuer: BASE, jwks_uri: `${BASE}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ["ES256"] });
    // What it points at is the JWKS the tokens verify with.
    const jwks = await (await gateway(new URL(doc.jwks_uri).pathname)).json();
    expect(jwks).toEqual(await (await gateway("/.well-known/jwks.json")).json());
    // A deployed gateway names GATEWAY_ISSUER, whatever Host the request carried.
    const deployed = await fetchWith({ GUICHET_ENV: undefined, ENABLE_TEST_SEAMS: undefined, GATEWAY_ISSUER: "https://www.monprojetquebec.example", ORIGIN_URL: "" }, "/.well-known/openid-configuration", "https://attacker.example");
    expect(await deployed.json()).toMatchObject({ issuer: "https://www.monprojetquebec.example", jwks_uri: "https://www.monprojetquebec.example/.well-known/jwks.json" });
  });
});

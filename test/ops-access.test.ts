// Cloudflare Access as the operators' alternative to OPS_TOKEN. The test pool
// configures ACCESS_AUD and ACCESS_TEAM_DOMAIN and points ACCESS_CERTS_URL at
// a fixture that serves the team's public key (vitest.config.ts); assertions
// are signed here with its private key.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SignJWT, generateKeyPair, importJWK, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { accessIssuer } from "../src/auth/access";
import worker from "../src/worker";
import { BASE, createEvent, eventually, gateway, OPS_AUTH, snapshotOf, uniqueEvent } from "./helpers";

const ISSUER = "https://guichet-test.cloudflareaccess.com";
const AUD = "guichet-ops-test-aud";

async function assertion(
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; alg?: string; kid?: string; exp?: number; iss?: string; aud?: string[] } = {},
) {
  const key = options.key ?? ((await importJWK(JSON.parse(env.TEST_ACCESS_SIGNING_JWK) as JWK, "RS256")) as CryptoKey);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: "ana.tremblay@mifi.example", type: "app", ...claims })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? "access-test" })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? [AUD])
    .setSubject("7335d417-61da-459d-899c-0a01c76a2f94")
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(options.exp ?? now + 3600)
    .sign(key);
}

function withAssertion(path: string, jwt: string, init: RequestInit = {}) {
  return gateway(path, { ...init, headers: { "cf-access-jwt-assertion": jwt, ...(init.headers as Record<string, string>) } });
}

describe("Cloudflare Access", () => {
  it("accepts a valid assertion instead of OPS_TOKEN and audits the operator's e-mail", async () => {
    const id = uniqueEvent("access");
    await createEvent(id);
    const jwt = await assertion();
    const view = await withAssertion(`/guichet/ops/api/event?event=${id}`, jwt);
    expect(view.status).toBe(200);
    expect(((await view.json()) as any).actor).toBe("access:ana.tremblay@mifi.example");
    expect((await withAssertion(`/guichet/ops/api/event/pause?event=${id}`, jwt, { method: "POST" })).status).toBe(200);
    expect((await snapshotOf(id)).paused).toBe(true);
    const rows = await eventually(
      async () => ((await (await gateway(`/guichet/ops/api/audit?event=${id}`, { headers: OPS_AUTH })).json()) as any).audit as any[],
      (rows) => rows.length === 1,
    );
    expect(rows[0]).toMatchObject({ actor: "access:ana.tremblay@mifi.example", action: "event.pause" });
    expect((await withAssertion(`/guichet/ops/metrics?event=${id}`, jwt)).status).toBe(200);
  });

  it("names a service token by its client id", async () => {
    const id = uniqueEvent("accesssvc");
    await createEvent(id);
    const jwt = await assertion({ email: undefined, common_name: "prometheus.access" });
    const view = await withAssertion(`/guichet/ops/api/event?event=${id}`, jwt);
    expect(((await view.json()) as any).actor).toBe("access-service:prometheus.access");
  });

  it("refuses an assertion with the wrong audience, issuer, key, algorithm or expiry, and changes nothing", async () => {
    const id = uniqueEvent("accessbad");
    await createEvent(id);
    const stranger = await generateKeyPair("RS256", { extractable: true });
    const hmac = new Uint8Array(32).fill(7);
    const bad = [
      await assertion({}, { aud: ["another-app"] }),
      await assertion({}, { iss: "https://other-team.cloudflareaccess.com" }),
      await assertion({}, { key: stranger.privateKey }),
      await assertion({}, { exp: Math.floor(Date.now() / 1000) - 60 }),
      await new SignJWT({ email: "x@example.org" }).setProtectedHeader({ alg: "HS256", kid: "access-test" }).setIssuer(ISSUER).setAudience(AUD).setExpirationTime("1h").sign(hmac),
      await assertion({ email: undefined }),
      "not-a-jwt",
    ];
    for (const [i, jwt] of bad.entries()) {
      const res = await withAssertion(`/guichet/ops/api/event/close?event=${id}`, jwt, { method: "POST" });
      expect(res.status, `assertion ${i}`).toBe(401);
    }
    expect((await snapshotOf(id)).phase).toBe("open");
  });

  it("is ignored where Access is not configured", async () => {
    const id = uniqueEvent("accessoff");
    await createEvent(id);
    const jwt = await assertion();
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}/guichet/ops/api/event?event=${id}`, { headers: { "cf-access-jwt-assertion": jwt } }),
      { ...env, ACCESS_AUD: "", ACCESS_TEAM_DOMAIN: "" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(401);
  });

  it("derives the issuer from the team domain however it is written", () => {
    for (const team of ["guichet-test", "guichet-test.cloudflareaccess.com", "https://guichet-test.cloudflareaccess.com/"]) {
      expect(accessIssuer(team)).toBe(ISSUER);
    }
  });
});

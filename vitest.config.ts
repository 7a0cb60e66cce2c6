// Tests inside workerd: real Durable Objects, real D1 (local SQLite), real
// WebCrypto. Secrets are generated fresh for every run.
//   workers  every test/*.test.ts, with the per-client limit off so hundreds
//            of requests from one test are not refused as abuse
//   limits   test/limits/*.test.ts, with the default limit of wrangler.toml
//   origin-url  test/origin-url/*.test.ts: the origin as ORIGIN_URL (a plain
//            fetch to https://origin.test) instead of a service binding
//   vars     test/vars/*.test.ts, with the default event set by every EVENT_ var
//
// Outbound fetches reach fixtures only: the Access certs, the echo origin as
// https://origin.test, and https://evil.example, a second origin that records
// what it receives: the proxy must never send it anything.
import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { copyAssets } from "./scripts/assets.mjs";
import { generateSecrets, newSigningJwk, publicJwk } from "./scripts/secrets.mjs";

/**
 * Project "vars": the default event's vars, the values of test/event-settings.ts's
 * varSettings(base) written as an operator would (instants with an offset).
 */
function eventVars(base: number): Record<string, string> {
  const montreal = (ms: number) => new Date(ms - 4 * 3600_000).toISOString().replace("Z", "-04:00");
  return {
    TEST_VARS_BASE_MS: String(base),
    EVENT_ID: "vars-seeded",
    EVENT_OPENS_AT: montreal(base + 2 * 3600_000),
    EVENT_QUOTA: "4321",
    EVENT_ADMISSION_SECONDS: "450",
    EVENT_MAX_ACTIVE: "77",
    EVENT_ADMIT_PER_MINUTE: "333",
    EVENT_OVERBOOK: "1.25",
    EVENT_NO_SHOW_GRACE_SECONDS: "95",
    EVENT_PREQUEUE_OPENS_AT: montreal(base - 10 * 60_000),
    EVENT_POW_DIFFICULTY: "3",
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // wrangler.toml's [assets] directory must hold the dashboard's vendored files (wrangler's [build] is not run here).
  copyAssets();
  // Two earlier signing keys: one retiring tomorrow, still listed and trusted
  // (tokens from before a rotation verify), and one retired an hour ago,
  // neither listed nor trusted. Tests sign with both.
  const previous = newSigningJwk("k-previous");
  const retired = newSigningJwk("k-retired");
  const previousJwks = {
    keys: [
      { ...publicJwk(previous), expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      { ...publicJwk(retired), expiresAt: new Date(Date.now() - 3_600_000).toISOString() },
    ],
  };
  const secrets = generateSecrets();
  // Cloudflare Access in tests: a team's RS256 key whose public part a fixture
  // certs endpoint serves (below); tests sign assertions with the private part.
  const access = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const accessPrivate = { ...access.privateKey.export({ format: "jwk" }), kid: "access-test", alg: "RS256" };
  const accessPublic = { ...access.publicKey.export({ format: "jwk" }), kid: "access-test", alg: "RS256", use: "sig" };
  const accessCertsUrl = "https://access-fixture.test/cdn-cgi/access/certs";
  const project = (name: string, include: string[], bindings: Record<string, string> = {}, { originBinding = true } = {}) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The proxy's origin in tests: a stand-in Worker that echoes what it gets.
          serviceBindings: originBinding ? { ORIGIN: "echo-origin" } : {},
          outboundService: async (request, mf) => {
            if (request.url === accessCertsUrl) return new Response(JSON.stringify({ keys: [accessPublic] }), { headers: { "content-type": "application/json" } });
            const host = new URL(request.url).hostname;
            if (host === "origin.test") return (await mf.getWorker("echo-origin")).fetch(request);
            if (host === "evil.example") return (await mf.getWorker("evil-origin")).fetch(request);
            return new Response("no network in tests", { status: 502 });
          },
          workers: [
            { name: "echo-origin", modules: true, scriptPath: "./test/fixtures/echo-origin.js", compatibilityDate: "2026-11-01" },
            { name: "evil-origin", modules: true, scriptPath: "./test/fixtures/evil-origin.js", compatibilityDate: "2026-11-01" },
          ],
          bindings: {
            ORIGIN_TIMEOUT_MS: "400",
            ...secrets,
            ADMISSION_PREVIOUS_JWKS: JSON.stringify(previousJwks),
            TEST_PREVIOUS_SIGNING_JWK: JSON.stringify(previous),
            TEST_RETIRED_SIGNING_JWK: JSON.stringify(retired),
            // Development: the issuer may fall back to the request's origin
            // and the origin may be plain http (src/http/config-check.ts). A deployed
            // Worker has no GUICHET_ENV and is checked strictly.
            GUICHET_ENV: "development",
            ENABLE_TEST_SEAMS: "true",
            // This pool turns off cross-request promise resolution, which
            // batching needs; batching is tested against workerd as deployed
            // (vitest.sim.config.ts).
            ROOM_BATCHING: "off",
            ACCESS_AUD: "guichet-ops-test-aud",
            ACCESS_TEAM_DOMAIN: "guichet-test",
            ACCESS_CERTS_URL: accessCertsUrl,
            TEST_ACCESS_SIGNING_JWK: JSON.stringify(accessPrivate),
            TEST_MIGRATIONS: migrations,
            ...bindings,
          },
        },
      }),
    ],
    test: {
      name,
      include,
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
    },
  });
  return {
    test: {
      projects: [
        project("workers", ["test/*.test.ts"], { ENTER_LIMIT_PER_MINUTE: "0" }),
        project("limits", ["test/limits/*.test.ts"]),
        project("origin-url", ["test/origin-url/*.test.ts"], { ENTER_LIMIT_PER_MINUTE: "0", ORIGIN_URL: "https://origin.test" }, { originBinding: false }),
        // The default event seeded from vars as an operator sets them (test/vars/), every var-backed setting given.
        project("vars", ["test/vars/*.test.ts"], { ENTER_LIMIT_PER_MINUTE: "0", ...eventVars(Date.now()) }),
      ],
    },
  };
});

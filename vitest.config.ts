// Tests inside workerd: real Durable Objects, real D1 (local SQLite), real
// WebCrypto. Secrets are generated fresh for every run.
//   workers  every test/*.test.ts, with the per-client limit off so hundreds
//            of requests from one test are not refused as abuse
//   limits   test/limits/*.test.ts, with the default limit of wrangler.toml
//   vars     test/vars/*.test.ts, with the default event set by every EVENT_ var
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
  // A retired signing key whose public part stays listed: tests sign with it
  // to check that tokens from before a rotation still verify.
  const previous = newSigningJwk("k-previous");
  const secrets = generateSecrets();
  // Cloudflare Access in tests: a team's RS256 key whose public part a fixture
  // certs endpoint serves (below); tests sign assertions with the private part.
  const access = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const accessPrivate = { ...access.privateKey.export({ format: "jwk" }), kid: "access-test", alg: "RS256" };
  const accessPublic = { ...access.publicKey.export({ format: "jwk" }), kid: "access-test", alg: "RS256", use: "sig" };
  const accessCertsUrl = "https://access-fixture.test/cdn-cgi/access/certs";
  const project = (name: string, include: string[], bindings: Record<string, string> = {}) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The proxy's origin in tests: a stand-in Worker that echoes what it gets.
          serviceBindings: { ORIGIN: "echo-origin" },
          // Outbound fetches: the Access certs fixture; nothing else leaves the test pool.
          outboundService: (request: Request) =>
            request.url === accessCertsUrl
              ? new Response(JSON.stringify({ keys: [accessPublic] }), { headers: { "content-type": "application/json" } })
              : new Response("no network in tests", { status: 502 }),
          workers: [{ name: "echo-origin", modules: true, scriptPath: "./test/fixtures/echo-origin.js", compatibilityDate: "2026-11-01" }],
          bindings: {
            ORIGIN_TIMEOUT_MS: "400",
            ...secrets,
            ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [publicJwk(previous)] }),
            TEST_PREVIOUS_SIGNING_JWK: JSON.stringify(previous),
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
        // The default event seeded from vars as an operator sets them (test/vars/), every var-backed setting given.
        project("vars", ["test/vars/*.test.ts"], { ENTER_LIMIT_PER_MINUTE: "0", ...eventVars(Date.now()) }),
      ],
    },
  };
});

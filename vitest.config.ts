// Tests inside workerd: real Durable Objects, real D1 (local SQLite), real
// WebCrypto. Secrets are generated fresh for every run.
//   workers  every test/*.test.ts, with the per-client limit off so hundreds
//            of requests from one test are not refused as abuse
//   limits   test/limits/*.test.ts, with the default limit of wrangler.toml
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateSecrets, newSigningJwk, publicJwk } from "./scripts/secrets.mjs";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // A retired signing key whose public part stays listed: tests sign with it
  // to check that tokens from before a rotation still verify.
  const previous = newSigningJwk("k-previous");
  const secrets = generateSecrets();
  const project = (name: string, include: string[], bindings: Record<string, string> = {}) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The proxy's origin in tests: a stand-in Worker that echoes what it gets.
          serviceBindings: { ORIGIN: "echo-origin" },
          workers: [{ name: "echo-origin", modules: true, scriptPath: "./test/fixtures/echo-origin.js", compatibilityDate: "2026-11-01" }],
          bindings: {
            ORIGIN_TIMEOUT_MS: "400",
            ...secrets,
            ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [publicJwk(previous)] }),
            TEST_PREVIOUS_SIGNING_JWK: JSON.stringify(previous),
            ENABLE_TEST_SEAMS: "true",
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
      ],
    },
  };
});

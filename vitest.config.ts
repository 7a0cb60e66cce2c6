// Tests inside workerd: real Durable Objects, real D1 (local SQLite), real
// WebCrypto. Secrets are generated fresh for every run.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateSecrets, newSigningJwk, publicJwk } from "./scripts/secrets.mjs";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // A retired signing key whose public part stays listed: tests sign with it
  // to check that tokens from before a rotation still verify.
  const previous = newSigningJwk("k-previous");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The proxy's origin in tests: a stand-in Worker that echoes what it gets.
          serviceBindings: { ORIGIN: "echo-origin" },
          workers: [{ name: "echo-origin", modules: true, scriptPath: "./test/fixtures/echo-origin.js", compatibilityDate: "2026-11-01" }],
          bindings: {
            ORIGIN_TIMEOUT_MS: "400",
            ...generateSecrets(),
            ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [publicJwk(previous)] }),
            TEST_PREVIOUS_SIGNING_JWK: JSON.stringify(previous),
            ENABLE_TEST_SEAMS: "true",
            TEST_MIGRATIONS: migrations,
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
    },
  };
});

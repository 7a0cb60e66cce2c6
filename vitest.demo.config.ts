// The demo origin's tests, inside workerd: the demo Worker is the one under
// test; the gateway it talks to is a test double (an external system from the
// demo's point of view) bound as the GATEWAY service binding. Keys and
// secrets are generated fresh for every run.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { randomBytes } from "node:crypto";
import { defineConfig } from "vitest/config";
import { newSigningJwk, publicJwk } from "./scripts/secrets.mjs";

const GATEWAY_URL = "https://guichet.test";
const COMPATIBILITY_DATE = "2026-11-01";

export default defineConfig(() => {
  // The gateway's signing key: the tests sign admission tokens with it, the
  // double publishes its public half as the JWKS.
  const signing = newSigningJwk("k-demo-test");
  const originApiKey = randomBytes(24).toString("base64url");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./demo/origin/wrangler.toml" },
        miniflare: {
          bindings: {
            GATEWAY_URL,
            GATEWAY_ISSUER: "",
            ADMISSION_AUDIENCE: "mpq-origin",
            ORIGIN_API_KEY: originApiKey,
            SESSION_KEY: randomBytes(32).toString("base64url"),
            TEST_SIGNING_JWK: JSON.stringify(signing),
          },
          serviceBindings: { GATEWAY: "gateway-double" },
          workers: [
            {
              name: "gateway-double",
              modules: true,
              scriptPath: "./demo/origin/test/fixtures/gateway.mjs",
              compatibilityDate: COMPATIBILITY_DATE,
              compatibilityFlags: ["nodejs_compat"],
              bindings: {
                JWKS: JSON.stringify({ keys: [publicJwk(signing)] }),
                ISSUER: GATEWAY_URL,
                AUDIENCE: "mpq-origin",
                ORIGIN_API_KEY: originApiKey,
              },
            },
          ],
        },
      }),
    ],
    test: {
      include: ["demo/origin/test/**/*.test.ts", "demo/origin/test/**/*.test.tsx"],
      testTimeout: 30_000,
    },
  };
});

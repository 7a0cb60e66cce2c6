// Bindings only the test pool has (see vitest.config.ts).
interface GuichetTestBindings {
  TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  /** Private JWK of the previous signing key (listed in ADMISSION_PREVIOUS_JWKS, retiring tomorrow). */
  TEST_PREVIOUS_SIGNING_JWK: string;
  /** Private JWK of a signing key retired an hour ago (in ADMISSION_PREVIOUS_JWKS, expired). */
  TEST_RETIRED_SIGNING_JWK: string;
  /** Private RS256 JWK of the fixture Access team (its public part is served at ACCESS_CERTS_URL). */
  TEST_ACCESS_SIGNING_JWK: string;
  /** Project "vars" only: the instant its event vars were written from (epoch ms, as text). */
  TEST_VARS_BASE_MS: string;
}
interface Env extends GuichetTestBindings {}
declare namespace Cloudflare {
  interface Env extends GuichetTestBindings {}
}

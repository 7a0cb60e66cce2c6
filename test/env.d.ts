// Bindings only the test pool has (see vitest.config.ts).
interface GuichetTestBindings {
  TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  TEST_PREVIOUS_SIGNING_JWK: string;
}
interface Env extends GuichetTestBindings {}
declare namespace Cloudflare {
  interface Env extends GuichetTestBindings {}
}

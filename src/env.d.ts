// Bindings that `wrangler types` cannot see: optional secrets and test seams.
interface GuichetOptionalBindings {
  /** Public keys of earlier signing keys, `{"keys": [...]}`, each optionally with `expiresAt`. */
  ADMISSION_PREVIOUS_JWKS?: string;
  /** "true" only in the test pool: enables clock and fault seams in the Durable Objects. */
  ENABLE_TEST_SEAMS?: string;
}
interface Env extends GuichetOptionalBindings {}
declare namespace Cloudflare {
  interface Env extends GuichetOptionalBindings {}
}

// Bindings that `wrangler types` cannot see: optional secrets and test seams.
interface GuichetOptionalBindings {
  /** Public keys of earlier signing keys, `{"keys": [...]}`, each optionally with `expiresAt`. */
  ADMISSION_PREVIOUS_JWKS?: string;
  /** "true" only in the test pool: enables clock and fault seams in the Durable Objects. */
  ENABLE_TEST_SEAMS?: string;
  /**
   * "off" sends each enter and claim alone instead of batching (src/batch.ts). Only
   * the workers test pool sets it: it runs with `no_handle_cross_request_promise_resolution`,
   * under which a batch's waiters cannot be woken by the request that sent it.
   */
  ROOM_BATCHING?: string;
}
interface Env extends GuichetOptionalBindings {}
declare namespace Cloudflare {
  interface Env extends GuichetOptionalBindings {}
}

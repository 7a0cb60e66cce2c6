// Bindings that `wrangler types` cannot see: optional secrets and test seams.
interface GuichetOptionalBindings {
  /**
   * "development" under `npm run dev`, the test pools and the benchmark
   * harness; unset (or "production") when deployed, where the configuration
   * is checked strictly (src/http/config-check.ts).
   */
  GUICHET_ENV?: string;
  /** The origin as a service binding (tests, or an origin Worker); otherwise ORIGIN_URL is used. */
  ORIGIN?: Fetcher;
  /** How long the proxy waits for the origin's response headers (ms); 30000 by default. */
  ORIGIN_TIMEOUT_MS?: string;
  /** Cloudflare Access for the ops API: the application's audience tag(s), comma-separated. With ACCESS_TEAM_DOMAIN. */
  ACCESS_AUD?: string;
  /** Cloudflare Access team: `myteam` or `myteam.cloudflareaccess.com`. */
  ACCESS_TEAM_DOMAIN?: string;
  /** Where Access's signing keys are fetched; `https://<team>.cloudflareaccess.com/cdn-cgi/access/certs` by default. */
  ACCESS_CERTS_URL?: string;
  /** Cloudflare Turnstile at entry, where both are set (Cloudflare's test keys work offline). */
  TURNSTILE_SITE_KEY?: string;
  TURNSTILE_SECRET?: string;
  /**
   * The announced end of the default event's intake (ISO-8601), for the
   * operators: the metrics and Prometheus show it, and an alert fires when the
   * quota would not fill before it. The gateway does not close at it.
   */
  INTAKE_CLOSES_AT?: string;
  /** The deployed version (wrangler.toml's [version_metadata]): the metrics' build info. */
  CF_VERSION_METADATA?: WorkerVersionMetadata;
  /** "true" only in the test pool: enables clock and fault seams in the Durable Objects. */
  ENABLE_TEST_SEAMS?: string;
  /**
   * "off" sends each enter and claim alone instead of batching (src/line/batch.ts). Only
   * the workers test pool sets it: it runs with `no_handle_cross_request_promise_resolution`,
   * under which a batch's waiters cannot be woken by the request that sent it.
   */
  ROOM_BATCHING?: string;
}
interface Env extends GuichetOptionalBindings {}
declare namespace Cloudflare {
  interface Env extends GuichetOptionalBindings {}
}

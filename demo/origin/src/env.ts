// The demo origin's bindings and configuration. Declared by hand (not with
// `wrangler types`) so they never merge into the gateway's global `Env`.
import type { AccountFiles } from "./files";

export interface DemoEnv {
  /** The gateway, server to server (submissions API, JWKS). */
  GATEWAY_URL?: string;
  /** The admission tokens' `iss`: the gateway's public URL; empty = GATEWAY_URL. */
  GATEWAY_ISSUER?: string;
  /** The admission tokens' `aud`. */
  ADMISSION_AUDIENCE?: string;
  /** Origin-to-gateway bearer key (the same secret as the gateway's). */
  ORIGIN_API_KEY: string;
  /** Signs the session cookie. */
  SESSION_KEY: string;
  ACCOUNT_FILES: DurableObjectNamespace<AccountFiles>;
  /** Optional service binding to the gateway; when present it replaces fetches to GATEWAY_URL. */
  GATEWAY?: Fetcher;
}

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:8787";

export function gatewayUrl(env: DemoEnv): string {
  return env.GATEWAY_URL || DEFAULT_GATEWAY_URL;
}

/** The gateway names itself by its origin (no path, no trailing slash). */
export function gatewayIssuer(env: DemoEnv): string {
  return env.GATEWAY_ISSUER || new URL(gatewayUrl(env)).origin;
}

export function admissionAudience(env: DemoEnv): string {
  return env.ADMISSION_AUDIENCE || "mpq-origin";
}

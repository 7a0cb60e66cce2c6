// The origin's side of trust: how the MPQ application checks, on its own, the
// admission token that the gateway forwards in `X-Guichet-Admission`.
//
// The gateway has already verified the token before proxying; the origin
// verifies it again (defence in depth: a request that reaches the origin
// without going through the gateway, or a misconfigured route, gets nothing).
// It needs nothing from the gateway but its public keys, published at
// `/.well-known/jwks.json`, and a standard JWT library (jose).
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type RemoteJWKSet } from "jose";

/** Headers the gateway adds to every admitted request (contract: "Fronting the origin"). */
export const ADMISSION_HEADER = "x-guichet-admission";
export const DEVICE_HEADER = "x-guichet-device";

export interface TrustConfig {
  /** The gateway's URL; its keys are at `/.well-known/jwks.json` there. */
  gatewayUrl: string;
  /** Expected `iss`: the gateway's public URL. */
  issuer: string;
  /** Expected `aud`: this origin's audience (`mpq-origin`). */
  audience: string;
  /** Optional service binding that reaches the gateway instead of the network. */
  gateway?: Fetcher;
}

export type DeviceClass = "desktop" | "mobile" | "tablet";

/** What the origin may rely on once a token is verified. */
export interface Admission {
  /** The ticket id in the line. */
  sub: string;
  /** Unique per admission: binds the login session to this admission. */
  jti: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** The event (intake) the candidate was admitted to. */
  evt: string;
  /** The candidate's number in the line. */
  num: number;
  /** Device class the gateway saw when the turn was claimed. */
  dev: DeviceClass;
  /** `admission` (the line's turn) or `session` (a pre-opening visit: it can submit nothing). */
  scope: Scope;
}

export type Scope = "admission" | "session";

export type Refusal = "missing" | "invalid" | "expired" | "keys_unavailable";
export type Trust = { ok: true; admission: Admission } | { ok: false; refusal: Refusal };

const DEVICES: readonly string[] = ["desktop", "mobile", "tablet"];
// The gateway forwards a session token on protected pages before opening day, an admission after; anything else is no token of its.
const SCOPES: readonly string[] = ["admission", "session"];

// One remote key set per gateway, kept across requests: jose caches the keys
// (10 minutes) and fetches again on an unknown `kid` at most every 30 s, which
// is how a key rotation reaches the origin.
const keySets = new Map<string, { keys: RemoteJWKSet; gateway?: Fetcher }>();

function gatewayKeys(config: TrustConfig): RemoteJWKSet {
  const url = new URL("/.well-known/jwks.json", config.gatewayUrl);
  let entry = keySets.get(url.href);
  if (!entry) {
    const created: { keys?: RemoteJWKSet; gateway?: Fetcher } = {};
    created.keys = createRemoteJWKSet(url, {
      timeoutDuration: 3000,
      [customFetch]: (href, init) => (created.gateway ? created.gateway.fetch(href, init) : fetch(href, init)),
    });
    entry = created as { keys: RemoteJWKSet; gateway?: Fetcher };
    keySets.set(url.href, entry);
  }
  entry.gateway = config.gateway;
  return entry.keys;
}

/**
 * Verifies an admission token: signature by one of the gateway's published
 * keys (ES256 only, chosen by `kid`), issuer, audience, expiry and not-before
 * (5 s of clock tolerance), and the presence and types of the claims the
 * origin relies on, `scope` among them (`admission` or `session`). Never throws: the caller maps the refusal to a page.
 */
export async function verifyAdmission(token: string | null | undefined, config: TrustConfig): Promise<Trust> {
  if (!token) return { ok: false, refusal: "missing" };
  try {
    const { payload } = await jwtVerify(token, gatewayKeys(config), {
      // ES256 only: refuses `alg: none` and an HS256 token "signed" with the public key.
      algorithms: ["ES256"],
      issuer: config.issuer,
      audience: config.audience,
      // `exp` is required too: a token without one would never expire.
      requiredClaims: ["sub", "jti", "exp", "evt", "num", "dev", "scope"],
      clockTolerance: 5,
    });
    const { sub, jti, exp, evt, num, dev, scope } = payload as Record<string, unknown>;
    if (
      typeof sub !== "string" ||
      typeof jti !== "string" ||
      typeof exp !== "number" ||
      typeof evt !== "string" ||
      typeof num !== "number" ||
      !Number.isSafeInteger(num) ||
      typeof dev !== "string" ||
      !DEVICES.includes(dev) ||
      typeof scope !== "string" ||
      !SCOPES.includes(scope)
    ) {
      return { ok: false, refusal: "invalid" };
    }
    return { ok: true, admission: { sub, jti, exp, evt, num, dev: dev as DeviceClass, scope: scope as Scope } };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return { ok: false, refusal: "expired" };
    // The keys could not be fetched (gateway down, timeout, not a JWKS): not the candidate's fault.
    if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || !(e instanceof errors.JOSEError) || e.code === "ERR_JOSE_GENERIC") {
      return { ok: false, refusal: "keys_unavailable" };
    }
    return { ok: false, refusal: "invalid" };
  }
}

// Cloudflare Access for the operators: when ACCESS_AUD and ACCESS_TEAM_DOMAIN
// are set, a `Cf-Access-Jwt-Assertion` that Access signed (RS256, with the
// team's keys from its certs endpoint) for this application's audience
// authenticates an operator, as an alternative to OPS_TOKEN. The certs URL is
// `https://<team>.cloudflareaccess.com/cdn-cgi/access/certs` unless
// ACCESS_CERTS_URL says otherwise (a mirror, or a fixture in tests).
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";

export interface AccessEnv {
  ACCESS_AUD?: string;
  ACCESS_TEAM_DOMAIN?: string;
  ACCESS_CERTS_URL?: string;
}

export interface AccessIdentity {
  /** The person's e-mail, or a service token's client id (`common_name`). */
  who: string;
  kind: "user" | "service";
}

/** `myteam`, `myteam.cloudflareaccess.com` or `https://myteam.cloudflareaccess.com` → the issuer URL. */
export function accessIssuer(teamDomain: string): string {
  const host = teamDomain.trim().replace(/^https?:\/\//, "").replace(/\/+$/, "");
  return `https://${host.includes(".") ? host : `${host}.cloudflareaccess.com`}`;
}

export function accessConfigured(env: AccessEnv): boolean {
  return Boolean(env.ACCESS_AUD?.trim() && env.ACCESS_TEAM_DOMAIN?.trim());
}

/** One key set per certs URL per isolate: jose caches the keys (10 minutes) and refetches on an unknown kid. */
const keySets = new Map<string, JWTVerifyGetKey>();

function keySetFor(url: string): JWTVerifyGetKey {
  let keys = keySets.get(url);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 3_000 });
    keySets.set(url, keys);
  }
  return keys;
}

/**
 * The operator an Access assertion names, or null if it is not valid for this
 * application (wrong signature, audience, issuer, algorithm, or expired).
 */
export async function verifyAccessAssertion(env: AccessEnv, assertion: string): Promise<AccessIdentity | null> {
  if (!accessConfigured(env)) return null;
  const issuer = accessIssuer(env.ACCESS_TEAM_DOMAIN!);
  const certs = env.ACCESS_CERTS_URL?.trim() || `${issuer}/cdn-cgi/access/certs`;
  const audience = env.ACCESS_AUD!.split(",").map((a) => a.trim()).filter(Boolean);
  try {
    const { payload } = await jwtVerify(assertion, keySetFor(certs), { issuer, audience, algorithms: ["RS256"], clockTolerance: 5 });
    if (typeof payload.email === "string" && payload.email) return { who: payload.email, kind: "user" };
    if (typeof payload.common_name === "string" && payload.common_name) return { who: payload.common_name, kind: "service" };
    return null;
  } catch (e) {
    // The certs endpoint unreachable is not the operator's fault, but it is no proof either: refuse, and say why in the logs.
    if (!(e instanceof errors.JOSEError) || e instanceof errors.JWKSTimeout) {
      console.error(JSON.stringify({ level: "error", what: "access_certs", name: (e as Error).name, message: String((e as Error).message).slice(0, 160) }));
    }
    return null;
  }
}

// Fresh development secrets: an ES256 signing key and random keys for the
// rest. Used by `npm run dev` (written once into .dev.vars) and by the test
// pool (new ones every run). Nothing here is ever committed.
import { generateKeyPairSync, randomBytes } from "node:crypto";

export const SECRET_NAMES = ["ADMISSION_SIGNING_JWK", "TICKET_HMAC_KEY", "IDENTITY_PEPPER", "OPS_TOKEN", "ORIGIN_API_KEY", "METRICS_TOKEN"];

/** A private EC P-256 JWK with a kid, as ADMISSION_SIGNING_JWK expects. */
export function newSigningJwk(kid = `k-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString("hex")}`) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...privateKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
}

/** The public part of a signing JWK (what the JWKS lists). */
export function publicJwk(jwk) {
  const { kty, crv, x, y, kid } = jwk;
  return { kty, crv, x, y, kid, alg: "ES256", use: "sig" };
}

const random = (bytes) => randomBytes(bytes).toString("base64url");

export function generateSecrets() {
  return {
    ADMISSION_SIGNING_JWK: JSON.stringify(newSigningJwk()),
    TICKET_HMAC_KEY: random(32),
    IDENTITY_PEPPER: random(32),
    OPS_TOKEN: random(24),
    ORIGIN_API_KEY: random(24),
    // Read-only: metrics, the stream, Prometheus and the history.
    METRICS_TOKEN: random(24),
  };
}

// Verifies a Guichet admission token on the origin's side, with jose (npm install jose).
//   GATEWAY_URL=https://www.monprojetquebec.example node verify.mjs <token> [admission|session]
// Prints the verdict as JSON; exits 0 for a valid token, 1 for a refused one,
// 2 when the gateway's keys cannot be fetched (not the candidate's fault).
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { pathToFileURL } from "node:url";

const GATEWAY_URL = process.env.GATEWAY_URL; // where the gateway serves /.well-known/jwks.json
const ISSUER = process.env.GATEWAY_ISSUER || GATEWAY_URL; // the tokens' iss: the gateway's public URL
const AUDIENCE = process.env.ADMISSION_AUDIENCE || "mpq-origin"; // the tokens' aud
const EVENT = process.env.GUICHET_EVENT || "csq-2016-06"; // the intake this origin serves: the tokens' evt

// Made once and kept: jose keeps the keys 10 minutes and fetches them again
// sooner when a token names an unknown kid (at most every 30 s). Guichet
// publishes a new key 20 minutes at least before it signs with it.
const gatewayKeys = createRemoteJWKSet(new URL("/.well-known/jwks.json", GATEWAY_URL));

// scope: "admission" where a candidate submits; "session" for a pre-opening session
// (X-Guichet-Session-Expires is then set). A token of the other scope is refused.
export async function verifyAdmission(token, scope = "admission") {
  try {
    const { payload } = await jwtVerify(token, gatewayKeys, {
      algorithms: ["ES256"], // never "none", never HS256 keyed with the public key
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["sub", "jti", "iat", "nbf", "exp", "evt", "num", "dev", "scope"],
      clockTolerance: 5, // seconds, for exp and nbf
    });
    const { evt, num, dev } = payload;
    if (evt !== EVENT || payload.scope !== scope || !Number.isSafeInteger(num) || !["desktop", "mobile", "tablet"].includes(dev)) {
      return { ok: false, refusal: "invalid" };
    }
    return { ok: true, kind: payload.scope, claims: payload };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return { ok: false, refusal: "expired" };
    if (!(e instanceof errors.JOSEError) || e instanceof errors.JWKSTimeout || e.code === "ERR_JOSE_GENERIC") {
      return { ok: false, refusal: "keys_unavailable" };
    }
    return { ok: false, refusal: "invalid" };
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const verdict = await verifyAdmission(process.argv[2] ?? "", process.argv[3] ?? "admission");
  console.log(JSON.stringify(verdict));
  process.exit(verdict.ok ? 0 : verdict.refusal === "keys_unavailable" ? 2 : 1);
}

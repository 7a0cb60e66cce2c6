// What the origin verifies admission tokens with: the JWKS, and the discovery
// document that stock middleware (.NET JwtBearer's Authority, Spring's
// issuer-uri) reads to find it.
import { Hono } from "hono";
import { publicJwks } from "../auth/admission";
import { issuerOf, type AppEnv } from "../http/context";

export const wellknown = new Hono<AppEnv>();

/** How long a client may keep the JWKS (and the discovery document): the docs' key rotation counts on it (src/auth/admission.ts). */
export const JWKS_MAX_AGE_SECONDS = 300;

wellknown.get("/jwks.json", async (c) => {
  c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
  c.header("Access-Control-Allow-Origin", "*");
  return c.json(await publicJwks(c.env));
});

/**
 * OpenID Connect discovery, the part a resource server reads: `issuer` (the
 * tokens' `iss`, which such middleware compares with the Authority it was
 * given) and `jwks_uri`. The gateway is no OpenID provider (no authorization
 * endpoint, no ID tokens), so nothing else is claimed but the one algorithm.
 */
wellknown.get("/openid-configuration", (c) => {
  const issuer = issuerOf(c);
  c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
  c.header("Access-Control-Allow-Origin", "*");
  return c.json({
    issuer,
    jwks_uri: new URL("/.well-known/jwks.json", issuer).href,
    id_token_signing_alg_values_supported: ["ES256"],
  });
});

// The conformance kit for origin teams (ENABLE_TEST_SEAMS only): one token of
// each kind an origin's verifier must tell apart, signed as the gateway signs,
// for the verdicts docs/origin-integration.md gives. Test seams are refused
// in a deployed gateway (src/http/config-check.ts), so the kit never answers
// there: without them this path is 404 like any unknown gateway path.
import { Hono } from "hono";
import { signForKit } from "../auth/admission";
import { SESSION_SECONDS } from "../auth/session";
import { ApiError } from "../http/errors";
import { audienceOf, eventIdOf, issuerOf, type AppEnv } from "../http/context";

export const dev = new Hono<AppEnv>();

/** What a verifier written from the docs must answer: accept, or refuse with the docs' refusal. */
type Verdict = { expect: "accept" } | { expect: "refuse"; refusal: "expired" | "invalid" };

const ADMISSION_SECONDS = 600;

dev.get("/tokens", async (c) => {
  if (c.env.ENABLE_TEST_SEAMS !== "true") throw new ApiError(404, "not_found");
  const issuer = issuerOf(c);
  const audience = audienceOf(c.env);
  const event = eventIdOf(c);
  const now = Math.floor(Date.now() / 1000);
  const claims = (changes: Record<string, unknown> = {}) => ({
    iss: issuer,
    aud: audience,
    sub: "conformance-kit",
    jti: crypto.randomUUID(),
    iat: now,
    nbf: now,
    exp: now + ADMISSION_SECONDS,
    evt: event,
    num: 1,
    dev: "desktop",
    scope: "admission",
    ...changes,
  });
  const kinds: [string, string, Record<string, unknown>, "signing" | "previous" | "unpublished", Verdict][] = [
    ["valid", "an admission as a claim gives it", claims(), "signing", { expect: "accept" }],
    ["expired", "expired 100 s ago", claims({ iat: now - 700, nbf: now - 700, exp: now - 100 }), "signing", { expect: "refuse", refusal: "expired" }],
    ["not_yet_valid", "nbf 5 minutes ahead", claims({ iat: now + 300, nbf: now + 300, exp: now + 900 }), "signing", { expect: "refuse", refusal: "invalid" }],
    ["other_audience", "aud of another origin", claims({ aud: `${audience}-other` }), "signing", { expect: "refuse", refusal: "invalid" }],
    ["other_event", "evt of another event", claims({ evt: `${event}-other`.slice(0, 63) }), "signing", { expect: "refuse", refusal: "invalid" }],
    ["session", "a pre-opening session (scope session, num 0): not an admission", claims({ scope: "session", num: 0, exp: now + SESSION_SECONDS }), "signing", { expect: "refuse", refusal: "invalid" }],
    ["previous_key", "signed by a previous key still published", claims(), "previous", { expect: "accept" }],
    ["unknown_key", "signed by a key no JWKS lists (its kid is unknown)", claims(), "unpublished", { expect: "refuse", refusal: "invalid" }],
  ];
  const tokens: Record<string, unknown> = {};
  for (const [name, what, payload, key, verdict] of kinds) {
    const signed = await signForKit(c.env, payload, key);
    tokens[name] = signed
      ? { what, ...verdict, kid: signed.kid, token: signed.token }
      : { what, ...verdict, kid: null, token: null, missing: "no previous key with its private part: set ADMISSION_PREVIOUS_JWKS as npm run dev writes it (docs/origin-integration.md)" };
  }
  c.header("Cache-Control", "no-store");
  return c.json({ issuer, audience, event, jwksUri: new URL("/.well-known/jwks.json", issuer).href, tokens });
});

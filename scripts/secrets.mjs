// Fresh development secrets: an ES256 signing key and random keys for the
// rest. Used by `npm run dev` (written once into .dev.vars) and by the test
// pool (new ones every run). Nothing here is ever committed.
//
// Run as a command, it prepares the values of a key rotation
// (docs/operations.md, "Rotating the signing key"):
//   node scripts/secrets.mjs next-key [--sign-from <ISO instant>] [--kid <kid>]
//     prints ADMISSION_NEXT_JWK: a new private key that signs from
//     --sign-from (30 minutes from now by default; refused closer than
//     ROTATION_NOTICE_MINUTES, the time every origin needs to see it);
//   node scripts/secrets.mjs retire [--keep-until <ISO instant>] < signing-key.json
//     prints ADMISSION_PREVIOUS_JWKS for the key read on stdin: its public
//     part only, listed until --keep-until (25 hours from now by default:
//     the longest token it signed, a 24-hour admission, has expired by then).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/** The secrets wrangler.toml requires: `wrangler dev` loads only these from .dev.vars. */
export const SECRET_NAMES = [
  "ADMISSION_SIGNING_JWK",
  "ADMISSION_NEXT_JWK",
  "ADMISSION_PREVIOUS_JWKS",
  "RECEIPT_HMAC_KEYS",
  "TICKET_HMAC_KEY",
  "IDENTITY_PEPPER",
  "OPS_TOKEN",
  "ORIGIN_API_KEY",
  "METRICS_TOKEN",
];

/** As src/auth/admission.ts: the least time between publishing a next key and signing with it. */
export const ROTATION_NOTICE_MINUTES = 20;
/** As src/auth/admission.ts: the longest a token lives (a 24-hour admission), plus an hour. */
export const LONGEST_TOKEN_HOURS = 25;
/** As src/auth/admission.ts: a previous key retires at most this many days ahead. */
const PREVIOUS_KEY_MAX_DAYS = 30;

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

/** The secrets every gateway needs, fresh (the rotation settings apart: see devRotationSecrets). */
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

/**
 * The rotation settings `npm run dev` starts with: no next key, one derived
 * receipt key, and a previous signing key kept with its private part (allowed
 * in development only), listed for 29 days, so that the conformance kit
 * (GET /guichet/dev/tokens) can mint a token signed by a previous key and the
 * JWKS lists two keys, as it does after a rotation.
 */
export function devRotationSecrets(now = Date.now()) {
  const previous = { ...newSigningJwk(`k-dev-previous-${randomBytes(3).toString("hex")}`), expiresAt: new Date(now + 29 * 86_400_000).toISOString() };
  return { ADMISSION_NEXT_JWK: "none", ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [previous] }), RECEIPT_HMAC_KEYS: "none" };
}

/** ADMISSION_NEXT_JWK: a new private key and the instant it signs from, at least ROTATION_NOTICE_MINUTES from `now`. */
export function nextSigningJwk({ signFrom, kid, now = Date.now() } = {}) {
  const from = signFrom === undefined ? now + 30 * 60_000 : Date.parse(signFrom);
  if (!Number.isFinite(from)) throw new Error(`--sign-from: not an ISO-8601 instant: ${signFrom}`);
  if (from < now + ROTATION_NOTICE_MINUTES * 60_000) {
    throw new Error(`--sign-from must be at least ${ROTATION_NOTICE_MINUTES} minutes from now: origins may keep the key set 15 minutes before they see a new key`);
  }
  return { ...newSigningJwk(kid), signFrom: new Date(from).toISOString() };
}

/** ADMISSION_PREVIOUS_JWKS for a retiring signing key: its public part, listed until `keepUntil` (LONGEST_TOKEN_HOURS from `now` by default). */
export function retiredJwks(signingJwk, { keepUntil, now = Date.now() } = {}) {
  const until = keepUntil === undefined ? now + LONGEST_TOKEN_HOURS * 3_600_000 : Date.parse(keepUntil);
  if (!Number.isFinite(until)) throw new Error(`--keep-until: not an ISO-8601 instant: ${keepUntil}`);
  if (until > now + PREVIOUS_KEY_MAX_DAYS * 86_400_000) throw new Error(`--keep-until: at most ${PREVIOUS_KEY_MAX_DAYS} days ahead`);
  // Node checks that it is a P-256 key pair before anything is printed.
  const key = createPrivateKey({ key: signingJwk, format: "jwk" });
  if (key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error("not an EC P-256 key");
  const { x, y } = createPublicKey(key).export({ format: "jwk" });
  if (x !== signingJwk.x || y !== signingJwk.y) throw new Error("its d does not match its x and y");
  return { keys: [{ ...publicJwk(signingJwk), expiresAt: new Date(until).toISOString() }] };
}

/** The value of `--name V` or `--name=V` in `args`. */
function option(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, ...args] = process.argv.slice(2);
  try {
    if (command === "next-key") {
      console.log(JSON.stringify(nextSigningJwk({ signFrom: option(args, "--sign-from"), kid: option(args, "--kid") })));
    } else if (command === "retire") {
      console.log(JSON.stringify(retiredJwks(JSON.parse(readFileSync(0, "utf8")), { keepUntil: option(args, "--keep-until") })));
    } else {
      console.error("usage: node scripts/secrets.mjs next-key [--sign-from ISO] [--kid KID]\n       node scripts/secrets.mjs retire [--keep-until ISO] < signing-key.json");
      process.exit(2);
    }
  } catch (e) {
    console.error(`secrets: ${e.message}`);
    process.exit(1);
  }
}

// Admission tokens: ES256 JWTs signed with ADMISSION_SIGNING_JWK (jose), and
// the JWKS that lets the origin verify them with any standard library.
//
// Rotation: ADMISSION_PREVIOUS_JWKS holds the public keys of earlier signing
// keys, each optionally with `expiresAt` (ISO-8601) after which it is dropped.
// The JWKS lists the current key and every previous key still in force.
import { createLocalJWKSet, decodeJwt, errors, importJWK, jwtVerify, type JWK } from "jose";
import type { DeviceClass } from "../domain/device";
import { base64url, base64urlOfText, bytesOf } from "./ticket";

export const ADMISSION_COOKIE = "guichet_admission";

export interface AdmissionClaims {
  iss: string;
  aud: string;
  /** The ticket id. */
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  /** Event id. */
  evt: string;
  /** Queue number. */
  num: number;
  /** Device class seen at claim. */
  dev: DeviceClass;
  /** Only on pre-opening sessions ("session"); an admission has none. */
  scope?: "session";
}

export interface KeyEnv {
  ADMISSION_SIGNING_JWK: string;
  ADMISSION_PREVIOUS_JWKS?: string;
}

interface KeyRing {
  source: string;
  signingKey: CryptoKey;
  /** The JWS protected header every token carries, already base64url. */
  header: string;
  /** Public keys with their retirement instant (ms), null for none. */
  published: { jwk: JWK; expiresAt: number | null }[];
}

const utf8 = new TextEncoder();
let cachedRing: Promise<KeyRing> | null = null;
let cachedSource = "";

function publicPart(jwk: JWK & { expiresAt?: string }): JWK {
  const { kty, crv, x, y, kid } = jwk;
  return { kty, crv, x, y, kid, alg: "ES256", use: "sig" };
}

async function buildRing(env: KeyEnv): Promise<KeyRing> {
  if (!env.ADMISSION_SIGNING_JWK) throw new Error("ADMISSION_SIGNING_JWK is not set");
  const current = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
  if (current.kty !== "EC" || current.crv !== "P-256" || !current.d || !current.kid) {
    throw new Error("ADMISSION_SIGNING_JWK must be a private EC P-256 JWK with a kid");
  }
  const signingKey = (await importJWK(current, "ES256")) as CryptoKey;
  const published: KeyRing["published"] = [{ jwk: publicPart(current), expiresAt: null }];
  if (env.ADMISSION_PREVIOUS_JWKS) {
    const previous = JSON.parse(env.ADMISSION_PREVIOUS_JWKS) as { keys: (JWK & { expiresAt?: string })[] };
    for (const jwk of previous.keys ?? []) {
      if (jwk.kid === current.kid || jwk.kty !== "EC" || jwk.crv !== "P-256") continue;
      published.push({ jwk: publicPart(jwk), expiresAt: jwk.expiresAt ? Date.parse(jwk.expiresAt) : null });
    }
  }
  const header = base64url(utf8.encode(JSON.stringify({ alg: "ES256", kid: current.kid, typ: "JWT" })));
  return { source: cachedSource, signingKey, header, published };
}

function keyRing(env: KeyEnv): Promise<KeyRing> {
  const source = `${env.ADMISSION_SIGNING_JWK}\n${env.ADMISSION_PREVIOUS_JWKS ?? ""}`;
  if (!cachedRing || cachedSource !== source) {
    cachedSource = source;
    cachedRing = buildRing(env);
    cachedRing.catch(() => {
      cachedRing = null;
    });
  }
  return cachedRing;
}

/** The public keys in force at `now`: what `/.well-known/jwks.json` serves. */
export async function publicJwks(env: KeyEnv, now = Date.now()): Promise<{ keys: JWK[] }> {
  const ring = await keyRing(env);
  return { keys: ring.published.filter((k) => k.expiresAt === null || k.expiresAt > now).map((k) => k.jwk) };
}

export type AdmissionInput = Omit<AdmissionClaims, "iss" | "aud" | "nbf">;


/**
 * Signs an admission (or a pre-opening session) as a compact JWS (RFC 7515):
 * the header (written once per key), the claims, and WebCrypto's ECDSA P-256
 * signature, which is already the `r || s` JWS asks for. This is what jose's
 * CompactSign does, less its checks of options we never vary (its JavaScript
 * around the signature was ~5% of a claim's samples in `bench/profile.mjs
 * --scenario claim`). Verified by jose, and by the origin's library of
 * choice, like any other JWT.
 */
export async function signAdmission(env: KeyEnv, claims: AdmissionInput, issuer: string, audience: string): Promise<string> {
  return signWith(await keyRing(env), claims, issuer, audience);
}

/** Several admissions with one look at the key ring, each signed as signAdmission does, in order. */
export async function signAdmissions(env: KeyEnv, items: { claims: AdmissionInput; issuer: string }[], audience: string): Promise<string[]> {
  const ring = await keyRing(env);
  return Promise.all(items.map(({ claims, issuer }) => signWith(ring, claims, issuer, audience)));
}

function signWith(ring: KeyRing, claims: AdmissionInput, issuer: string, audience: string): Promise<string> {
  const { sub, jti, iat, exp, ...custom } = claims;
  const payload: AdmissionClaims = { ...custom, iss: issuer, aud: audience, sub, jti, iat, nbf: iat, exp };
  const input = `${ring.header}.${base64urlOfText(JSON.stringify(payload))}`;
  // sign() copies its data before it returns (WebCrypto's "get a copy of the bytes"), so the scratch bytes may be reused.
  return crypto.subtle
    .sign({ name: "ECDSA", hash: "SHA-256" }, ring.signingKey, bytesOf(input))
    .then((signature) => `${input}.${base64url(new Uint8Array(signature))}`);
}

export type AdmissionFailure = "admission_invalid" | "admission_expired";

export class AdmissionError extends Error {
  constructor(readonly reason: AdmissionFailure) {
    super(reason);
  }
}

const REQUIRED = ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "evt", "num", "dev"];

/**
 * Verifies signature (ES256 only, key by `kid`), issuer, audience, times and
 * the presence and types of every claim; throws AdmissionError otherwise.
 */
export async function verifyAdmission(
  env: KeyEnv,
  token: string,
  issuer: string,
  audience: string,
  now = Date.now(),
  options: { ignoreTimes?: boolean; session?: boolean } = {},
): Promise<AdmissionClaims> {
  if (!token || token.length > 4096) throw new AdmissionError("admission_invalid");
  const jwks = createLocalJWKSet(await publicJwks(env, now));
  try {
    // Releasing an admission needs only to know it is authentic: check it as of its own issue time.
    if (options.ignoreTimes) {
      const iat = decodeJwt(token).iat;
      if (typeof iat !== "number") throw new AdmissionError("admission_invalid");
      now = iat * 1000;
    }
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ["ES256"],
      issuer,
      audience,
      requiredClaims: REQUIRED,
      currentDate: new Date(now),
      clockTolerance: 5,
    });
    const p = payload as unknown as AdmissionClaims;
    if (typeof p.evt !== "string" || !Number.isSafeInteger(p.num) || !["desktop", "mobile", "tablet"].includes(p.dev) || typeof p.jti !== "string") {
      throw new AdmissionError("admission_invalid");
    }
    // A pre-opening session is never an admission, and the other way round.
    if ((p.scope === "session") !== (options.session === true)) throw new AdmissionError("admission_invalid");
    return p;
  } catch (e) {
    if (e instanceof AdmissionError) throw e;
    if (e instanceof errors.JWTExpired) throw new AdmissionError("admission_expired");
    throw new AdmissionError("admission_invalid");
  }
}

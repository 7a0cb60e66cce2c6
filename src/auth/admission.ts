// Admission tokens: ES256 JWTs signed with ADMISSION_SIGNING_JWK (jose), and
// the JWKS that lets the origin verify them with any standard library.
//
// Rotation: ADMISSION_PREVIOUS_JWKS holds the public keys of earlier signing
// keys, each with `expiresAt` (ISO-8601), the instant after which it is no
// longer listed nor trusted. A previous key without one would be trusted
// forever: that is a configuration error, as is a key that is not EC P-256.
import { createLocalJWKSet, decodeJwt, errors, importJWK, jwtVerify, type JWK } from "jose";
import * as z from "zod";
import type { DeviceClass } from "../domain/device";
import { ConfigError } from "../domain/event";
import { base64url, base64urlOfText, bytesOf } from "./ticket";
import { logEvent } from "../ops/log";

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

/** A signing key setting that cannot be used; names the setting and the fault, never the key. */
export class KeyConfigError extends ConfigError {
  constructor(
    readonly setting: "ADMISSION_SIGNING_JWK" | "ADMISSION_PREVIOUS_JWKS",
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** How far ahead a previous key may retire: its tokens live minutes (at most a day), not months. */
export const PREVIOUS_KEY_MAX_DAYS = 30;

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not a base64url P-256 coordinate");
const kid = z.string().min(1).max(200);
const SigningJwkSchema = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: coordinate, y: coordinate, d: coordinate, kid });
const PreviousJwkSchema = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: coordinate,
  y: coordinate,
  kid,
  d: z.never({ error: "a previous key is listed publicly: give its public part only (no d)" }).optional(),
  expiresAt: z.iso.datetime({ offset: true, error: "missing or not an ISO-8601 instant: every previous key must say when it retires" }),
});
const PreviousJwksSchema = z.object({ keys: z.array(PreviousJwkSchema).max(20) });

interface KeySettings {
  current: z.infer<typeof SigningJwkSchema>;
  previous: { jwk: z.infer<typeof PreviousJwkSchema>; expiresAt: number }[];
}

/** The first fault zod found, as `path: message` (no value). */
function faultOf(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function parseJson(setting: KeyConfigError["setting"], text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new KeyConfigError(setting, "not valid JSON");
  }
}

/**
 * Both key settings, validated: the current key a private EC P-256 JWK with
 * a kid; each previous key a public EC P-256 JWK with its own kid and an
 * `expiresAt` no later than PREVIOUS_KEY_MAX_DAYS after `now`. Throws KeyConfigError.
 */
export function keySettings(env: KeyEnv, now = Date.now()): KeySettings {
  if (!env.ADMISSION_SIGNING_JWK) throw new KeyConfigError("ADMISSION_SIGNING_JWK", "not set");
  const current = SigningJwkSchema.safeParse(parseJson("ADMISSION_SIGNING_JWK", env.ADMISSION_SIGNING_JWK));
  if (!current.success) throw new KeyConfigError("ADMISSION_SIGNING_JWK", `must be a private EC P-256 JWK with a kid (${faultOf(current.error)})`);
  const previous: KeySettings["previous"] = [];
  if (env.ADMISSION_PREVIOUS_JWKS?.trim()) {
    const parsed = PreviousJwksSchema.safeParse(parseJson("ADMISSION_PREVIOUS_JWKS", env.ADMISSION_PREVIOUS_JWKS));
    if (!parsed.success) throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", faultOf(parsed.error));
    const kids = new Set([current.data.kid]);
    for (const [i, jwk] of parsed.data.keys.entries()) {
      if (kids.has(jwk.kid)) throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}].kid: repeats another key's kid`);
      kids.add(jwk.kid);
      const expiresAt = Date.parse(jwk.expiresAt);
      if (expiresAt > now + PREVIOUS_KEY_MAX_DAYS * 86_400_000) {
        throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}].expiresAt: more than ${PREVIOUS_KEY_MAX_DAYS} days ahead`);
      }
      previous.push({ jwk, expiresAt });
    }
  }
  return { current: current.data, previous };
}

/**
 * The key settings validated as keySettings does, and each key imported by
 * WebCrypto (a point off the curve is refused there); the current key must
 * sign what its own public part verifies. For the configuration check.
 */
export async function checkSigningKeys(env: KeyEnv, now = Date.now()): Promise<void> {
  const { current, previous } = keySettings(env, now);
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = (await importJWK(current, "ES256")) as CryptoKey;
    publicKey = (await importJWK(publicPart(current), "ES256")) as CryptoKey;
  } catch {
    throw new KeyConfigError("ADMISSION_SIGNING_JWK", "WebCrypto refuses it as an ES256 key");
  }
  const probe = utf8.encode("guichet signing key check");
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, probe);
  if (!(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, signature, probe))) {
    throw new KeyConfigError("ADMISSION_SIGNING_JWK", "its d does not match its x and y");
  }
  for (const [i, { jwk }] of previous.entries()) {
    try {
      await importJWK(publicPart(jwk), "ES256");
    } catch {
      throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}]: WebCrypto refuses it as an ES256 public key`);
    }
  }
}

interface KeyRing {
  source: string;
  signingKey: CryptoKey;
  /** The JWS protected header every token carries, already base64url. */
  header: string;
  /** Public keys with their retirement instant (ms); null for the current key. */
  published: { jwk: JWK; expiresAt: number | null }[];
}

const utf8 = new TextEncoder();
let cachedRing: Promise<KeyRing> | null = null;
let cachedSource = "";

function publicPart(jwk: { kty: string; crv: string; x: string; y: string; kid: string }): JWK {
  const { kty, crv, x, y, kid } = jwk;
  return { kty, crv, x, y, kid, alg: "ES256", use: "sig" };
}

async function buildRing(env: KeyEnv): Promise<KeyRing> {
  const { current, previous } = keySettings(env);
  const signingKey = (await importJWK(current, "ES256")) as CryptoKey;
  const published: KeyRing["published"] = [{ jwk: publicPart(current), expiresAt: null }];
  for (const { jwk, expiresAt } of previous) published.push({ jwk: publicPart(jwk), expiresAt });
  const header = base64url(utf8.encode(JSON.stringify({ alg: "ES256", kid: current.kid, typ: "JWT" })));
  // A rotation shows in the logs as the first isolates that sign with the new kid, the old one among the previous.
  logEvent("info", { what: "signing_keys", kid: current.kid, previousKids: previous.map((p) => p.jwk.kid) });
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
 * CompactSign does, less its checks of options we never vary (about 5% of a
 * claim's CPU around the signature: bench/HISTORY.md). Verified by jose, and
 * by the origin's library of choice, like any other JWT.
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

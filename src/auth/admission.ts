// Admission tokens: ES256 JWTs signed with the gateway's key (jose), and the
// JWKS that lets the origin verify them with any standard library.
//
// Keys, and why a rotation has two phases: origins keep the JWKS (the docs
// allow a verifier to keep it 15 minutes: max-age=300 and jose's 10 more),
// so a token signed by a key they have not fetched yet would be refused.
//  - ADMISSION_SIGNING_JWK: the key that signs;
//  - ADMISSION_NEXT_JWK: the next key, with `signFrom`. It is published at
//    once, and signs only from `signFrom`, which the operator sets at least
//    20 minutes after publishing it (scripts/secrets.mjs next-key holds to
//    it; the gateway cannot know when a secret was put). Until it is settled, the
//    signing key stays published beside it;
//  - ADMISSION_PREVIOUS_JWKS: public keys of earlier signing keys, each with
//    `expiresAt`, the instant after which it is neither listed nor trusted
//    (at most PREVIOUS_KEY_MAX_DAYS ahead: a key without an end would be
//    trusted forever).
// An empty value, or `none`, sets no next or previous key: wrangler dev loads
// only the secrets wrangler.toml requires, so these are required and may be empty.
import { createLocalJWKSet, decodeJwt, errors, importJWK, jwtVerify, type JWK } from "jose";
import * as z from "zod";
import type { DeviceClass } from "../domain/device";
import { ConfigError } from "../domain/event";
import { base64url, base64urlOfText, bytesOf } from "./ticket";
import { logEvent } from "../ops/log";

export const ADMISSION_COOKIE = "guichet_admission";

/** What a token is for: an admission (one submission, the protected paths while the line runs) or a pre-opening session. */
export type TokenScope = "admission" | "session";

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
  scope: TokenScope;
}

export interface KeyEnv {
  ADMISSION_SIGNING_JWK: string;
  ADMISSION_PREVIOUS_JWKS?: string;
  ADMISSION_NEXT_JWK?: string;
  /** "development" lets a previous key keep its private part (the conformance kit signs with it); never deployed. */
  GUICHET_ENV?: string;
}

type KeySetting = "ADMISSION_SIGNING_JWK" | "ADMISSION_PREVIOUS_JWKS" | "ADMISSION_NEXT_JWK";

/** A signing key setting that cannot be used; names the setting and the fault, never the key. */
export class KeyConfigError extends ConfigError {
  constructor(
    readonly setting: KeySetting,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** How far ahead a previous key may retire: its tokens live minutes (at most a day), not months. */
export const PREVIOUS_KEY_MAX_DAYS = 30;
/** How far ahead a next key may be set to sign: a rotation is prepared, not parked. */
export const NEXT_KEY_MAX_DAYS = 30;

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not a base64url P-256 coordinate");
const kid = z.string().min(1).max(200);
const privateJwk = { kty: z.literal("EC"), crv: z.literal("P-256"), x: coordinate, y: coordinate, d: coordinate, kid };
const SigningJwkSchema = z.object(privateJwk);
const NextJwkSchema = z.object({
  ...privateJwk,
  signFrom: z.iso.datetime({ offset: true, error: "missing or not an ISO-8601 instant: the next key must say from when it signs" }),
});
const PreviousJwkSchema = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: coordinate,
  y: coordinate,
  kid,
  d: coordinate.optional(),
  expiresAt: z.iso.datetime({ offset: true, error: "missing or not an ISO-8601 instant: every previous key must say when it retires" }),
});
const PreviousJwksSchema = z.object({ keys: z.array(PreviousJwkSchema).max(20) });

type PrivateJwk = z.infer<typeof SigningJwkSchema>;

interface KeySettings {
  current: PrivateJwk;
  /** The next key and the instant (ms) it signs from; null when none is set (or it is the current key itself). */
  next: { jwk: PrivateJwk; signFrom: number } | null;
  previous: { jwk: z.infer<typeof PreviousJwkSchema>; expiresAt: number }[];
}

/** Whether a rotation setting is set: empty, blank or `none` is not (wrangler.toml requires it, so that `wrangler dev` loads it). */
export function rotationSettingOf(value: string | undefined): string | null {
  const v = value?.trim() ?? "";
  return v === "" || v.toLowerCase() === "none" ? null : v;
}

/** The first fault zod found, as `path: message` (no value). */
function faultOf(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function parseJson(setting: KeySetting, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new KeyConfigError(setting, "not valid JSON");
  }
}

const sameKey = (a: PrivateJwk, b: PrivateJwk) => a.kid === b.kid && a.x === b.x && a.y === b.y && a.d === b.d;

/**
 * The three key settings, validated: the current key a private EC P-256 JWK
 * with a kid; the next key the same with `signFrom`, no later than
 * NEXT_KEY_MAX_DAYS after `now`; each previous key a public EC P-256 JWK
 * (its private part only in development) with `expiresAt`, no later than
 * PREVIOUS_KEY_MAX_DAYS after `now`. Every kid is distinct. A next key
 * identical to the current one is no next key: the rotation is being settled.
 * Throws KeyConfigError.
 */
export function keySettings(env: KeyEnv, now = Date.now()): KeySettings {
  if (!env.ADMISSION_SIGNING_JWK) throw new KeyConfigError("ADMISSION_SIGNING_JWK", "not set");
  const current = SigningJwkSchema.safeParse(parseJson("ADMISSION_SIGNING_JWK", env.ADMISSION_SIGNING_JWK));
  if (!current.success) throw new KeyConfigError("ADMISSION_SIGNING_JWK", `must be a private EC P-256 JWK with a kid (${faultOf(current.error)})`);
  const kids = new Set([current.data.kid]);

  let next: KeySettings["next"] = null;
  const nextText = rotationSettingOf(env.ADMISSION_NEXT_JWK);
  if (nextText !== null) {
    const parsed = NextJwkSchema.safeParse(parseJson("ADMISSION_NEXT_JWK", nextText));
    if (!parsed.success) throw new KeyConfigError("ADMISSION_NEXT_JWK", `must be a private EC P-256 JWK with a kid and signFrom (${faultOf(parsed.error)})`);
    const { signFrom, ...jwk } = parsed.data;
    const from = Date.parse(signFrom);
    if (!sameKey(jwk, current.data)) {
      if (kids.has(jwk.kid)) throw new KeyConfigError("ADMISSION_NEXT_JWK", "kid: repeats the signing key's kid");
      if (from > now + NEXT_KEY_MAX_DAYS * 86_400_000) throw new KeyConfigError("ADMISSION_NEXT_JWK", `signFrom: more than ${NEXT_KEY_MAX_DAYS} days ahead`);
      kids.add(jwk.kid);
      next = { jwk, signFrom: from };
    }
  }

  const previous: KeySettings["previous"] = [];
  const previousText = rotationSettingOf(env.ADMISSION_PREVIOUS_JWKS);
  if (previousText !== null) {
    const parsed = PreviousJwksSchema.safeParse(parseJson("ADMISSION_PREVIOUS_JWKS", previousText));
    if (!parsed.success) throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", faultOf(parsed.error));
    for (const [i, jwk] of parsed.data.keys.entries()) {
      // A retired private key kept where it is not needed is a key that can still leak; development's kit signs with one.
      if (jwk.d !== undefined && env.GUICHET_ENV !== "development") {
        throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}].d: a previous key is listed publicly: give its public part only (no d)`);
      }
      if (kids.has(jwk.kid)) throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}].kid: repeats another key's kid`);
      kids.add(jwk.kid);
      const expiresAt = Date.parse(jwk.expiresAt);
      if (expiresAt > now + PREVIOUS_KEY_MAX_DAYS * 86_400_000) {
        throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}].expiresAt: more than ${PREVIOUS_KEY_MAX_DAYS} days ahead`);
      }
      previous.push({ jwk, expiresAt });
    }
  }
  return { current: current.data, next, previous };
}

/** Whether `jwk`'s d signs what its x and y verify, by WebCrypto; throws KeyConfigError naming `setting` otherwise. */
async function checkPrivateKey(setting: KeySetting, jwk: PrivateJwk): Promise<void> {
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = (await importJWK(jwk, "ES256")) as CryptoKey;
    publicKey = (await importJWK(publicPart(jwk), "ES256")) as CryptoKey;
  } catch {
    throw new KeyConfigError(setting, "WebCrypto refuses it as an ES256 key");
  }
  const probe = utf8.encode("guichet signing key check");
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, probe);
  if (!(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, signature, probe))) {
    throw new KeyConfigError(setting, "its d does not match its x and y");
  }
}

/**
 * The key settings validated as keySettings does, and each key imported by
 * WebCrypto (a point off the curve is refused there); the signing and next
 * keys must sign what their own public parts verify. For the configuration check.
 */
export async function checkSigningKeys(env: KeyEnv, now = Date.now()): Promise<void> {
  const { current, next, previous } = keySettings(env, now);
  await checkPrivateKey("ADMISSION_SIGNING_JWK", current);
  if (next) await checkPrivateKey("ADMISSION_NEXT_JWK", next.jwk);
  for (const [i, { jwk }] of previous.entries()) {
    try {
      await importJWK(publicPart(jwk), "ES256");
    } catch {
      throw new KeyConfigError("ADMISSION_PREVIOUS_JWKS", `keys[${i}]: WebCrypto refuses it as an ES256 public key`);
    }
  }
}

interface Signer {
  kid: string;
  key: CryptoKey;
  /** The JWS protected header its tokens carry, already base64url. */
  header: string;
}

interface KeyRing {
  current: Signer;
  /** The next key and the instant (ms) from which it signs instead of `current`. */
  next: (Signer & { from: number }) | null;
  /** Public keys with their retirement instant (ms); null while configured as the signing or next key. */
  published: { jwk: JWK; expiresAt: number | null }[];
  /** Previous keys whose private part development keeps (the conformance kit's), with their retirement instant. */
  previousSigners: (Signer & { expiresAt: number })[];
}

const utf8 = new TextEncoder();
let cachedRing: Promise<KeyRing> | null = null;
let cachedSource = "";

function publicPart(jwk: { kty: string; crv: string; x: string; y: string; kid: string }): JWK {
  const { kty, crv, x, y, kid } = jwk;
  return { kty, crv, x, y, kid, alg: "ES256", use: "sig" };
}

async function signerOf(jwk: { kty: string; crv: string; x: string; y: string; d?: string; kid: string }): Promise<Signer> {
  const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, "ES256")) as CryptoKey;
  return { kid: jwk.kid, key, header: base64url(utf8.encode(JSON.stringify({ alg: "ES256", kid: jwk.kid, typ: "JWT" }))) };
}

async function buildRing(env: KeyEnv): Promise<KeyRing> {
  const { current, next, previous } = keySettings(env);
  const published: KeyRing["published"] = [{ jwk: publicPart(current), expiresAt: null }];
  if (next) published.push({ jwk: publicPart(next.jwk), expiresAt: null });
  for (const { jwk, expiresAt } of previous) published.push({ jwk: publicPart(jwk), expiresAt });
  // A rotation shows in the logs as the first isolates that sign with the new kid, the next and previous ones beside it.
  logEvent("info", { what: "signing_keys", kid: current.kid, nextKid: next?.jwk.kid ?? null, signsFrom: next ? new Date(next.signFrom).toISOString() : null, previousKids: previous.map((p) => p.jwk.kid) });
  const previousSigners: KeyRing["previousSigners"] = [];
  for (const { jwk, expiresAt } of previous) if (jwk.d !== undefined) previousSigners.push({ ...(await signerOf(jwk)), expiresAt });
  return {
    current: await signerOf(current),
    next: next ? { ...(await signerOf(next.jwk)), from: next.signFrom } : null,
    published,
    previousSigners,
  };
}

function keyRing(env: KeyEnv): Promise<KeyRing> {
  const source = `${env.ADMISSION_SIGNING_JWK}\n${env.ADMISSION_NEXT_JWK ?? ""}\n${env.ADMISSION_PREVIOUS_JWKS ?? ""}\n${env.GUICHET_ENV ?? ""}`;
  if (!cachedRing || cachedSource !== source) {
    cachedSource = source;
    cachedRing = buildRing(env);
    cachedRing.catch(() => {
      cachedRing = null;
    });
  }
  return cachedRing;
}

/** The key that signs at `now`: the next key from its signFrom, else the signing key. */
function signerAt(ring: KeyRing, now: number): Signer {
  return ring.next && now >= ring.next.from ? ring.next : ring.current;
}

/** The public keys in force at `now`: what `/.well-known/jwks.json` serves, the key that signs now first. */
export async function publicJwks(env: KeyEnv, now = Date.now()): Promise<{ keys: JWK[] }> {
  const ring = await keyRing(env);
  const signing = signerAt(ring, now).kid;
  const keys = ring.published.filter((k) => k.expiresAt === null || k.expiresAt > now).map((k) => k.jwk);
  return { keys: [...keys.filter((k) => k.kid === signing), ...keys.filter((k) => k.kid !== signing)] };
}

/** The kid that signs new tokens at `now`. */
export type AdmissionInput = Omit<AdmissionClaims, "iss" | "aud" | "nbf" | "scope"> & { scope?: TokenScope };

/**
 * Signs an admission (or, with `scope: "session"`, a pre-opening session) as
 * a compact JWS (RFC 7515): the header (written once per key), the claims,
 * and WebCrypto's ECDSA P-256 signature, which is already the `r || s` JWS
 * asks for. This is what jose's CompactSign does, less its checks of options
 * we never vary (about 5% of a claim's CPU around the signature:
 * bench/HISTORY.md). Verified by jose, and by the origin's library of
 * choice, like any other JWT.
 */
export async function signAdmission(env: KeyEnv, claims: AdmissionInput, issuer: string, audience: string): Promise<string> {
  return signWith(signerAt(await keyRing(env), Date.now()), claims, issuer, audience);
}

/** Several admissions with one look at the key ring, each signed as signAdmission does, in order. */
export async function signAdmissions(env: KeyEnv, items: { claims: AdmissionInput; issuer: string }[], audience: string): Promise<string[]> {
  const signer = signerAt(await keyRing(env), Date.now());
  return Promise.all(items.map(({ claims, issuer }) => signWith(signer, claims, issuer, audience)));
}

/**
 * Signs arbitrary claims for the conformance kit (src/routes/dev.ts), which
 * mints tokens the gateway would never issue: with the key that signs now,
 * with a previous key still published (the signing key once the next one has
 * taken over, or a previous key whose private part development keeps; null
 * when there is none), or with a key of its own that nobody publishes.
 */
export async function signForKit(
  env: KeyEnv,
  claims: Record<string, unknown>,
  key: "signing" | "previous" | "unpublished",
  now = Date.now(),
): Promise<{ token: string; kid: string } | null> {
  const ring = await keyRing(env);
  const signing = signerAt(ring, now);
  let signer: Signer | null;
  if (key === "signing") signer = signing;
  else if (key === "previous") signer = signing === ring.next ? ring.current : (ring.previousSigners.find((s) => s.expiresAt > now) ?? null);
  else {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])) as CryptoKeyPair;
    const kid = `kit-unknown-${crypto.randomUUID().slice(0, 8)}`;
    signer = { kid, key: pair.privateKey, header: base64url(utf8.encode(JSON.stringify({ alg: "ES256", kid, typ: "JWT" }))) };
  }
  if (!signer) return null;
  const input = `${signer.header}.${base64urlOfText(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer.key, utf8.encode(input));
  return { token: `${input}.${base64url(new Uint8Array(signature))}`, kid: signer.kid };
}

function signWith(signer: Signer, claims: AdmissionInput, issuer: string, audience: string): Promise<string> {
  const { sub, jti, iat, exp, scope = "admission", ...custom } = claims;
  const payload: AdmissionClaims = { ...custom, iss: issuer, aud: audience, sub, jti, iat, nbf: iat, exp, scope };
  const input = `${signer.header}.${base64urlOfText(JSON.stringify(payload))}`;
  // sign() copies its data before it returns (WebCrypto's "get a copy of the bytes"), so the scratch bytes may be reused.
  return crypto.subtle
    .sign({ name: "ECDSA", hash: "SHA-256" }, signer.key, bytesOf(input))
    .then((signature) => `${input}.${base64url(new Uint8Array(signature))}`);
}

export type AdmissionFailure = "admission_invalid" | "admission_expired";
/**
 * Why a token is admission_invalid, where saying it helps the origin fix its
 * call: a session token sent as an admission, a token whose nbf is still
 * ahead (a clock set wrong), another event's token. Everything else
 * (signature, key, issuer, audience, claims) is `invalid`.
 */
export type InvalidReason = "invalid" | "session_token" | "not_yet_valid" | "event_mismatch";

export class AdmissionError extends Error {
  constructor(
    readonly reason: AdmissionFailure,
    readonly detail: InvalidReason = "invalid",
  ) {
    super(reason);
  }
}

const REQUIRED = ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "evt", "num", "dev", "scope"];
const SCOPES: readonly unknown[] = ["admission", "session"];

/** The claims' types, and the scope asked for: an admission is never a session, nor the other way round. */
function checkedClaims(payload: unknown, session: boolean): AdmissionClaims {
  const p = payload as AdmissionClaims;
  if (typeof p.evt !== "string" || !Number.isSafeInteger(p.num) || !["desktop", "mobile", "tablet"].includes(p.dev) || typeof p.jti !== "string" || !SCOPES.includes(p.scope)) {
    throw new AdmissionError("admission_invalid");
  }
  if ((p.scope === "session") !== session) throw new AdmissionError("admission_invalid", p.scope === "session" ? "session_token" : "invalid");
  return p;
}

/**
 * Verifies signature (ES256 only, key by `kid` among those published),
 * issuer, audience, times, the presence and types of every claim and the
 * scope (`admission`, or `session` with `session: true`); throws
 * AdmissionError otherwise.
 * - `ignoreTimes`: checked as of its own issue time (releasing an admission
 *   needs only to know it is authentic);
 * - `acceptExpired`: an expired token that is otherwise valid is returned,
 *   for the caller to judge its `exp` (a submission's retry gets its receipt
 *   back after the token expired).
 */
export async function verifyAdmission(
  env: KeyEnv,
  token: string,
  issuer: string,
  audience: string,
  now = Date.now(),
  options: { ignoreTimes?: boolean; acceptExpired?: boolean; session?: boolean } = {},
): Promise<AdmissionClaims> {
  if (!token || token.length > 4096) throw new AdmissionError("admission_invalid");
  const jwks = createLocalJWKSet(await publicJwks(env, now));
  const session = options.session === true;
  try {
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
    return checkedClaims(payload, session);
  } catch (e) {
    if (e instanceof AdmissionError) throw e;
    // jose checks the signature, then issuer, audience and nbf, then exp: an expired token is otherwise valid.
    if (e instanceof errors.JWTExpired) {
      if (options.acceptExpired) return checkedClaims(e.payload, session);
      checkedClaims(e.payload, session);
      throw new AdmissionError("admission_expired");
    }
    if (e instanceof errors.JWTClaimValidationFailed && e.claim === "nbf") throw new AdmissionError("admission_invalid", "not_yet_valid");
    throw new AdmissionError("admission_invalid");
  }
}

// The configuration check. A deployed gateway that signs tokens under a
// borrowed issuer, proxies candidates over plain http, trusts a retired key
// forever or guards the kill switch with a guessable token is worse than one
// that does not answer: at the first request an isolate serves, the settings
// are checked, and until they are right every request (healthz included, so a
// deploy check sees it) is answered 503 `misconfigured`, naming the settings
// at fault and never their values. The verdict is kept per bindings object:
// the runtime passes the same one to every request while the configuration
// is unchanged, so the hot paths pay one WeakMap lookup.
//
// Deployed is the default: only GUICHET_ENV = "development" (set by
// `npm run dev`, the test pools and the benchmark harness, never by
// wrangler.toml) relaxes the issuer (it may fall back to the request's
// origin), the origin (plain http allowed), the strength of secrets, and
// lets METRICS_TOKEN be absent (a .dev.vars from before it lacks it).
import type { Context } from "hono";
import { checkSigningKeys, KeyConfigError } from "../auth/admission";
import { langOf, messageFor } from "./errors";
import type { AppEnv } from "./context";
import { receiptKeys } from "../auth/receipt";
import * as z from "zod";
import { LOCATION_HINTS } from "../durable/shared/stubs";

export interface SettingProblem {
  setting: string;
  /** What is wrong, in English for the operator; never the value. */
  problem: string;
}

export function isDevelopment(env: Env): boolean {
  return env.GUICHET_ENV === "development";
}

/** Secrets every gateway needs. */
const REQUIRED_SECRETS = ["TICKET_HMAC_KEY", "IDENTITY_PEPPER", "OPS_TOKEN", "ORIGIN_API_KEY"] as const;
/** Secrets a deployment needs; development runs without (a .dev.vars from before it was added lacks it). */
const DEPLOYED_SECRETS = ["METRICS_TOKEN"] as const;
/** Bearer secrets: each grants something different, so no two may be equal. */
const BEARER_SECRETS = ["OPS_TOKEN", "METRICS_TOKEN", "ORIGIN_API_KEY"] as const;
/** A deployed secret's least length and variety (a generated 24-byte base64url secret has 32 characters). */
export const SECRET_MIN_LENGTH = 32;
const SECRET_MIN_DISTINCT = 8;

/** Why `raw` is not an absolute URL with one of `schemes`, or null if it is. */
function urlProblem(raw: string, schemes: string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `must be an absolute ${schemes.join(" or ")} URL`;
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) return `must be an absolute ${schemes.join(" or ")} URL`;
  if (url.username || url.password || url.search || url.hash) return "must have no credentials, query nor fragment";
  return null;
}

/** Every problem of the configuration `env`; empty when the gateway may serve. */
export async function configProblems(env: Env, now = Date.now()): Promise<SettingProblem[]> {
  const problems: SettingProblem[] = [];
  const add = (setting: string, problem: string | null) => {
    if (problem) problems.push({ setting, problem });
  };
  const mode = env.GUICHET_ENV ?? "";
  if (!["", "production", "development"].includes(mode)) add("GUICHET_ENV", 'must be "development", "production" or unset');
  const development = isDevelopment(env);
  const schemes = development ? ["https", "http"] : ["https"];

  const issuer = env.GATEWAY_ISSUER ?? "";
  if (issuer) add("GATEWAY_ISSUER", urlProblem(issuer, schemes));
  else if (!development) add("GATEWAY_ISSUER", "not set: the tokens' iss must be this gateway's public https URL");

  // A service binding reaches the origin Worker without a URL; ORIGIN_URL is then unused.
  if (!env.ORIGIN) {
    const origin = env.ORIGIN_URL ?? "";
    if (origin) add("ORIGIN_URL", urlProblem(origin, schemes));
    else if (!development) add("ORIGIN_URL", "not set (nor an ORIGIN service binding)");
  }

  try {
    await checkSigningKeys(env, now);
  } catch (e) {
    if (e instanceof KeyConfigError) add(e.setting, e.problem);
    else add("ADMISSION_SIGNING_JWK", "could not be checked");
  }

  try {
    receiptKeys(env);
  } catch {
    add("RECEIPT_HMAC_KEYS", 'not valid: {"current":"<kid>","keys":{"<kid>":"<secret>",…}}');
  }

  // Test seams inject faults and mint tokens the gateway would never issue (GET /guichet/dev/tokens): never deployed.
  if (!development && env.ENABLE_TEST_SEAMS) add("ENABLE_TEST_SEAMS", "must not be set in a deployed gateway: it enables fault injection and the conformance kit's tokens");

  const hint = env.OBJECTS_LOCATION_HINT ?? "";
  if (hint && !(LOCATION_HINTS as readonly string[]).includes(hint)) add("OBJECTS_LOCATION_HINT", `not a location hint: one of ${LOCATION_HINTS.join(", ")}`);
  // The closing-time alert reads it: a value that is no instant would leave the alert silent, not fail.
  const closesAt = env.INTAKE_CLOSES_AT?.trim();
  if (closesAt && !z.iso.datetime({ offset: true }).safeParse(closesAt).success) add("INTAKE_CLOSES_AT", "not an ISO-8601 instant with its offset (2016-06-30T16:30:00-04:00)");

  for (const name of REQUIRED_SECRETS) if (!env[name]) add(name, "not set");
  if (!development) for (const name of DEPLOYED_SECRETS) if (!env[name]) add(name, "not set");
  for (const name of [...REQUIRED_SECRETS, ...DEPLOYED_SECRETS]) {
    const value = env[name];
    if (!value || development) continue;
    if (value.length < SECRET_MIN_LENGTH || new Set(value).size < SECRET_MIN_DISTINCT || /\s/.test(value)) {
      add(name, `too weak: at least ${SECRET_MIN_LENGTH} random characters, no spaces`);
    }
  }
  for (const [i, a] of BEARER_SECRETS.entries()) {
    for (const b of BEARER_SECRETS.slice(i + 1)) if (env[a] && env[a] === env[b]) add(b, `must differ from ${a}`);
  }
  return problems;
}

const verdicts = new WeakMap<object, SettingProblem[] | Promise<SettingProblem[]>>();

/** The problems of `env` if it was checked already (none: it may serve), else undefined. Synchronous: every request asks. */
export function checkedProblems(env: Env): SettingProblem[] | undefined {
  const verdict = verdicts.get(env);
  return Array.isArray(verdict) ? verdict : undefined;
}

/** The problems of `env`, checked once; they are logged once, without values. */
export function problemsOf(env: Env): Promise<SettingProblem[]> {
  let verdict = verdicts.get(env);
  if (verdict === undefined) {
    verdict = configProblems(env).then((problems) => {
      verdicts.set(env, problems);
      if (problems.length > 0) {
        console.error(JSON.stringify({ level: "error", what: "misconfigured", development: isDevelopment(env), problems }));
      }
      return problems;
    });
    verdicts.set(env, verdict);
  }
  return Promise.resolve(verdict);
}

/** The 503 answer: the settings at fault in the message, each problem beside it. */
export function misconfigured(c: Context<AppEnv>, problems: SettingProblem[]): Response {
  const lang = langOf(c);
  const settings = [...new Set(problems.map((p) => p.setting))];
  const message = `${messageFor("misconfigured", lang).replace(/\.$/, "")}${lang === "fr" ? " : " : ": "}${settings.join(", ")}.`;
  return c.json({ error: { code: "misconfigured", message, settings, problems } }, 503, { "Cache-Control": "no-store" });
}

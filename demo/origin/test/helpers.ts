// Shared helpers for the demo origin's tests: admission tokens signed with
// the gateway double's key, requests through the demo Worker's own fetch as
// the gateway would forward them, cookies carried by hand.
import { env, exports } from "cloudflare:workers";
import { SignJWT, importJWK, type JWK } from "jose";
import type { DemoAccount } from "../src/accounts";
import type { DemoEnv } from "../src/env";

/** The gateway double's URL (GATEWAY_URL, and the tokens' issuer). */
export const GATEWAY = "https://guichet.test";
/** The demo's own address, as the gateway's proxy reaches it. */
export const ORIGIN = "https://mpq-demo.test";
export const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

export interface DemoTestEnv extends DemoEnv {
  TEST_SIGNING_JWK: string;
  GATEWAY: Fetcher;
}
export const demoEnv = env as unknown as DemoTestEnv;

let serial = 0;
/** A unique event id, so tests never share an account's files. */
export function uniqueEvent(prefix = "demo"): string {
  serial += 1;
  return `${prefix}-${Date.now().toString(36)}-${serial}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface TokenOptions {
  sub?: string;
  evt?: string;
  num?: number;
  dev?: string;
  jti?: string;
  iss?: string;
  aud?: string;
  /** Issue time, epoch seconds (default now). */
  iat?: number;
  lifetime?: number;
  /** Claims to leave out. */
  omit?: string[];
  /** Other claims or other values. */
  extra?: Record<string, unknown>;
  /** Another signing key (a private JWK with a kid). */
  key?: JWK;
}

/** An admission token as the gateway's claim would give it (ES256, its key, its claims). */
export async function admissionToken(o: TokenOptions = {}): Promise<string> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: o.iss ?? GATEWAY,
    aud: o.aud ?? "mpq-origin",
    sub: o.sub ?? `ticket-${crypto.randomUUID()}`,
    jti: o.jti ?? crypto.randomUUID(),
    iat,
    nbf: iat,
    exp: iat + (o.lifetime ?? 600),
    evt: o.evt ?? uniqueEvent(),
    num: o.num ?? 4812,
    dev: o.dev ?? "desktop",
    scope: "admission",
    ...o.extra,
  };
  for (const name of o.omit ?? []) delete claims[name];
  const jwk = o.key ?? (JSON.parse(demoEnv.TEST_SIGNING_JWK) as JWK);
  const key = await importJWK(jwk, "ES256");
  return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" }).sign(key);
}

/** The claims of a token (to read back what a test signed). */
export function claimsOf(token: string): Record<string, any> {
  const part = token.split(".")[1]!;
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}

export interface OriginInit {
  method?: string;
  token?: string;
  cookie?: string | null;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** A request to the demo as the gateway forwards it: X-Guichet-Admission carries the token. */
export function origin(path: string, init: OriginInit = {}): Promise<Response> {
  const headers = new Headers({ "user-agent": DESKTOP_UA, ...init.headers });
  if (init.token) headers.set("x-guichet-admission", init.token);
  if (init.cookie) headers.set("cookie", init.cookie);
  let body: string | undefined;
  if (init.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(init.form).toString();
  }
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" }));
}

/** `name=value` of a Set-Cookie the response sets (empty values included, to see a deletion). */
export function cookieOf(res: Response, name: string): string | null {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    if (pair && pair.startsWith(`${name}=`)) return pair;
  }
  return null;
}

const ENTITIES: Record<string, string> = { "&#39;": "'", "&quot;": '"', "&lt;": "<", "&gt;": ">", "&amp;": "&" };

/** Page HTML with entities decoded and no-break spaces made plain, for matching "n'a" and "1 234". */
export async function pageText(res: Response): Promise<string> {
  return (await res.text()).replace(/&#39;|&quot;|&lt;|&gt;|&amp;/g, (e) => ENTITIES[e]!).replace(/[\u00a0\u202f]/g, " ");
}

/** Logs in (password, then both security answers) under `token`; returns the session cookie. */
export async function login(account: DemoAccount, token: string): Promise<string> {
  const first = await origin("/connexion", { token, form: { userName: account.userName, password: account.password } });
  if (first.status !== 303) throw new Error(`password step answered ${first.status}`);
  const afterPassword = cookieOf(first, "mpq_session")!;
  const second = await origin("/connexion/questions", {
    token,
    cookie: afterPassword,
    form: { answer1: account.questions[0].answer, answer2: account.questions[1].answer },
  });
  if (second.status !== 303) throw new Error(`questions step answered ${second.status}`);
  return cookieOf(second, "mpq_session")!;
}

/** What the gateway double received for an admission (by its jti). */
export async function callsFor(jti: string): Promise<{ submissions: any[]; releases: any[] }> {
  const res = await demoEnv.GATEWAY.fetch(`${GATEWAY}/__fixture/calls/${jti}`);
  return (await res.json()) as { submissions: any[]; releases: any[] };
}

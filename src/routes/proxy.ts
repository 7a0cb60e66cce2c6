// The reverse proxy: every path outside /guichet/ and /.well-known/ goes to
// the origin under the event's route policy. Ambiguous paths get 400 before
// anything else; open paths always pass; closed paths get 403; protected
// paths need an admission while the line runs (a 60-minute session before
// opening day). The proxy is a trust boundary: the gateway's credentials and
// client look-alikes of the headers it sets never reach the origin, and the
// origin cannot set the gateway's cookies. Bodies stream through untouched.
import type { Context } from "hono";
import { decodeJwt } from "jose";
import { ADMISSION_COOKIE, AdmissionError, verifyAdmission, type AdmissionClaims } from "../auth/admission";
import { bearerOf } from "../auth/bearer";
import { newSession, SESSION_COOKIE, SESSION_SECONDS, verifySession } from "../auth/session";
import { TICKET_COOKIE } from "../auth/ticket";
import { stricterDevice } from "../domain/device";
import { defaultEventId, MPQ_ROUTE_POLICY, type RoutePolicy } from "../domain/event";
import { pathAmbiguity } from "../domain/paths";
import { compilePolicy, regimeAt, type CompiledPolicy, type RouteClass } from "../domain/routes";
import { iso } from "../domain/time";
import { ApiError, errorBody, langOf, messageFor, type Lang } from "../http/errors";
import { audienceOf, deviceOfRequest, issuerOf, type AppEnv } from "../http/context";
import { cookieHeader, cookieValue, isCookieNamed } from "../http/cookies";
import { noticeResponse } from "../pages/notice";
import { clientKey, countLocally, sessionsPerMinute } from "../http/rate-limit";
import { roomSnapshot } from "../line/snapshot-cache";
import { noteOriginFailure } from "../ops/origin-failures";

type ProxyContext = Context<AppEnv>;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-authorization"]);
/**
 * Client headers that speak for the gateway or rewrite the request at the
 * origin: the gateway sets the forwarding ones itself, and IIS and Symfony
 * route on X-Original-URL / X-Rewrite-URL instead of the path we classified.
 */
const NOT_FROM_CLIENTS = new Set(["host", "forwarded", "x-original-url", "x-rewrite-url"]);
const NOT_FROM_CLIENTS_PREFIXES = ["x-guichet-", "cf-access-", "x-forwarded-"];
/** The gateway's cookies, and Cloudflare Access's (an operator's), in the lowercase form isCookieNamed compares. */
const GATEWAY_COOKIES: ReadonlySet<string> = new Set([TICKET_COOKIE, ADMISSION_COOKIE, SESSION_COOKIE, "cf_authorization"]);
/** Base of the target URL when the origin is a service binding (its host is not used for routing). */
const BINDING_BASE = "https://origin.internal";
const DEFAULT_TIMEOUT_MS = 30_000;

let compiled: { policy: RoutePolicy; rules: CompiledPolicy } | null = null;

/** The compiled route policy, rebuilt only when the event's policy changes. */
function policyOf(policy: RoutePolicy): CompiledPolicy {
  if (compiled?.policy !== policy) compiled = { policy, rules: compilePolicy(policy) };
  return compiled.rules;
}

/** A page request (a person's browser navigating) rather than an API call. */
function wantsPage(c: ProxyContext, path: string): boolean {
  if (/^\/api\//i.test(path)) return false;
  const accept = c.req.header("accept") ?? "";
  return (c.req.method === "GET" || c.req.method === "HEAD") && (accept.includes("text/html") || accept === "" || accept.includes("*/*"));
}

/**
 * A header name as CGI, PHP and WSGI see it (`X_Guichet_Device` and
 * `x-guichet-device` are both HTTP_X_GUICHET_DEVICE there).
 */
const headerKey = (name: string) => name.toLowerCase().replaceAll("_", "-");

/** Whether a request header stays on this side: hop-by-hop, named in Connection, or one the gateway alone may speak. */
function staysHere(key: string, connection: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(key) || connection.has(key) || NOT_FROM_CLIENTS.has(key) || NOT_FROM_CLIENTS_PREFIXES.some((p) => key.startsWith(p));
}

/**
 * The name in a `name=value` pair. A nameless cookie (`=guichet_ticket=…`)
 * is sent by browsers as its bare value, which reads as `guichet_ticket=…`.
 */
function pairName(pair: string): string {
  const bare = pair.replace(/^[\s=]+/, "");
  const eq = bare.indexOf("=");
  return (eq === -1 ? bare : bare.slice(0, eq)).trim();
}

/**
 * The client's Cookie header without the gateway's cookies and Access's; the
 * origin's own pairs pass in order. RFC 6265 cookie values hold no `;` (not
 * even quoted), so a split on it keeps every other pair byte for byte; a
 * pair is dropped if any comma-separated part of it names one of ours, for
 * origins whose parsers still split on commas.
 */
export function originCookieHeader(header: string): string | null {
  const kept: string[] = [];
  for (const piece of header.split(";")) {
    const pair = piece.trim();
    if (pair === "") continue;
    if (pair.split(",").some((part) => isCookieNamed(pairName(part), GATEWAY_COOKIES))) continue;
    kept.push(pair);
  }
  return kept.length > 0 ? kept.join("; ") : null;
}

/**
 * Whether an Authorization header carries one of our tokens (an admission or
 * a session, valid or not): it stays on this side on every path, open ones
 * included. Told by its claims, without verifying: the origin's own bearer
 * tokens have another issuer and no `evt`.
 */
function holdsOurToken(c: ProxyContext, header: string): boolean {
  const bearer = bearerOf(header);
  if (!bearer || !bearer.startsWith("ey")) return false;
  try {
    const claims = decodeJwt(bearer);
    return claims.iss === issuerOf(c) || typeof claims.evt === "string";
  } catch {
    return false;
  }
}

/** Headers for the origin: the client's, less what stays on this side (staysHere), with only the origin's own cookies. */
function forwardedHeaders(c: ProxyContext, url: URL): Headers {
  const incoming = c.req.raw.headers;
  const connection = new Set((incoming.get("connection") ?? "").split(",").map((n) => headerKey(n.trim())).filter((n) => n !== ""));
  const out = new Headers();
  for (const [name, value] of incoming) {
    const key = headerKey(name);
    if (staysHere(key, connection)) continue;
    if (key === "cookie") {
      const cookies = originCookieHeader(value);
      if (cookies !== null) out.append(name, cookies);
      continue;
    }
    if (key === "authorization" && holdsOurToken(c, value)) continue;
    out.append(name, value);
  }
  const client = c.req.header("cf-connecting-ip");
  if (client) out.set("X-Forwarded-For", client);
  out.set("X-Forwarded-Host", url.host);
  out.set("X-Forwarded-Proto", url.protocol.replace(":", ""));
  return out;
}

/** Whether a Set-Cookie line sets one of the gateway's cookies (or Access's), under any spelling isCookieNamed knows. */
function setsGatewayCookie(line: string): boolean {
  const semi = line.indexOf(";");
  return isCookieNamed(pairName(semi === -1 ? line : line.slice(0, semi)), GATEWAY_COOKIES);
}

/**
 * The origin's response as the client gets it: without any Set-Cookie for
 * one of the gateway's cookies (the origin must not plant our credentials),
 * with the session cookie the gateway issued, if any.
 */
function towardClient(c: ProxyContext, res: Response, sessionToken: string | null): Response {
  const lines = res.headers.getSetCookie();
  const planted = lines.some(setsGatewayCookie);
  if (!planted && sessionToken === null) return res;
  const out = new Response(res.body, res);
  if (planted) {
    out.headers.delete("Set-Cookie");
    for (const line of lines) if (!setsGatewayCookie(line)) out.headers.append("Set-Cookie", line);
  }
  if (sessionToken !== null) out.headers.append("Set-Cookie", cookieHeader(c, SESSION_COOKIE, sessionToken, SESSION_SECONDS));
  return out;
}

/** 400 ambiguous_path: a notice page for a person, the JSON error for a program. */
function ambiguous(c: ProxyContext, lang: Lang, path: string): Response {
  if (!wantsPage(c, path)) {
    return Response.json(errorBody("ambiguous_path", lang), { status: 400, headers: { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } });
  }
  return noticeResponse(lang, 400, {
    title: lang === "en" ? "Invalid address" : "Adresse non valide",
    message: messageFor("ambiguous_path", lang),
    link: { href: "/", label: lang === "en" ? "Back to the home page" : "Retour à l'accueil" },
  });
}

/** 429 for a client that asks for sessions faster than sessionsPerMinute (it keeps no cookie). */
function tooManySessions(c: ProxyContext, lang: Lang, path: string, retryAfter: number): Response {
  const headers = { "Retry-After": String(retryAfter) };
  if (!wantsPage(c, path)) {
    return Response.json(errorBody("rate_limited", lang, { retryAfterSeconds: retryAfter }), { status: 429, headers: { ...headers, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } });
  }
  return noticeResponse(
    lang,
    429,
    {
      title: lang === "en" ? "Too many requests" : "Trop de demandes",
      message: messageFor("rate_limited", lang),
      link: { href: path, label: lang === "en" ? "Try again" : "Réessayer" },
    },
    headers,
  );
}

function refuse(c: ProxyContext, lang: Lang, path: string, reason: "missing" | "invalid" | "expired"): Response {
  if (wantsPage(c, path)) {
    const room = `/guichet/${lang === "en" ? "?lang=en" : ""}`;
    return new Response(null, { status: 303, headers: { Location: room, "Cache-Control": "no-store" } });
  }
  return Response.json(errorBody("admission_required", lang, { reason }), {
    status: 401,
    headers: { "Cache-Control": "no-store", "WWW-Authenticate": 'Bearer realm="guichet"', "X-Content-Type-Options": "nosniff" },
  });
}

function closedPath(c: ProxyContext, lang: Lang, path: string, reopens: string | null): Response {
  if (!wantsPage(c, path)) {
    return Response.json(errorBody("path_closed", lang, { reopensAt: reopens }), { status: 403, headers: { "Cache-Control": "no-store" } });
  }
  const when = reopens
    ? new Intl.DateTimeFormat(lang === "en" ? "en-CA" : "fr-CA", { dateStyle: "long", timeStyle: "short", timeZone: "America/Montreal" }).format(new Date(reopens))
    : null;
  return noticeResponse(lang, 403, {
    title: lang === "en" ? "Page closed during the intake" : "Page fermée pendant la période de réception",
    message:
      messageFor("path_closed", lang) +
      (when ? (lang === "en" ? ` It reopens on ${when} (Montreal time).` : ` Elle rouvrira le ${when} (heure de Montréal).`) : ""),
    link: { href: "/", label: lang === "en" ? "Back to the home page" : "Retour à l'accueil" },
  });
}

function originFailed(c: ProxyContext, lang: Lang, path: string, timeout: boolean): Response {
  const code = timeout ? "origin_timeout" : "origin_unavailable";
  const status = timeout ? 504 : 502;
  if (!wantsPage(c, path)) return Response.json(errorBody(code, lang), { status, headers: { "Cache-Control": "no-store", "Retry-After": "10" } });
  return noticeResponse(
    lang,
    status,
    {
      title: lang === "en" ? "The service is not answering" : "Le service ne répond pas",
      message: messageFor(code, lang) + (lang === "en" ? " Reload this page in a moment." : " Rechargez cette page dans un moment."),
      link: { href: path, label: lang === "en" ? "Try again" : "Réessayer" },
    },
    { "Retry-After": "10" },
  );
}

async function admissionOf(c: ProxyContext, eventId: string): Promise<{ token: string; claims: AdmissionClaims } | "missing" | "invalid" | "expired"> {
  const bearer = bearerOf(c.req.header("authorization"));
  const token = bearer && bearer.startsWith("ey") ? bearer : cookieValue(c, ADMISSION_COOKIE);
  if (!token) return "missing";
  try {
    const claims = await verifyAdmission(c.env, token, issuerOf(c), audienceOf(c.env));
    if (claims.evt !== eventId) return "invalid";
    return { token, claims };
  } catch (e) {
    if (e instanceof AdmissionError) return e.reason === "admission_expired" ? "expired" : "invalid";
    throw e;
  }
}

/**
 * Sends the request to the origin: ORIGIN service binding if bound, else
 * ORIGIN_URL. The request's path and query are set on the origin's URL,
 * never resolved against it (`//host/x` would name another host), and the
 * target must still be the origin: null, and nothing sent, otherwise.
 * Times out waiting for headers only.
 */
async function toOrigin(c: ProxyContext, url: URL, headers: Headers): Promise<Response | null> {
  const base = c.env.ORIGIN ? BINDING_BASE : c.env.ORIGIN_URL;
  if (!base) throw new TypeError("no origin configured (ORIGIN_URL or an ORIGIN service binding)");
  const origin = new URL(base);
  const target = new URL(origin);
  target.pathname = url.pathname;
  target.search = url.search;
  if (target.origin !== origin.origin) return null;
  const controller = new AbortController();
  const timeoutMs = Number(c.env.ORIGIN_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => controller.abort(new DOMException("origin timeout", "TimeoutError")), timeoutMs);
  const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
  const init: RequestInit = { method: c.req.method, headers, body: hasBody ? c.req.raw.body : undefined, redirect: "manual", signal: controller.signal };
  try {
    return await (c.env.ORIGIN ? c.env.ORIGIN.fetch(target, init) : fetch(target, init));
  } finally {
    clearTimeout(timer);
  }
}

export async function proxy(c: ProxyContext): Promise<Response> {
  const url = new URL(c.req.url);
  if (/^\/(guichet|\.well-known)(\/|$)/i.test(url.pathname)) throw new ApiError(404, "not_found");
  const lang = langOf(c);
  // Before the policy: an origin may read an ambiguous path as a closed or protected one.
  if (pathAmbiguity(url.pathname) !== null) return ambiguous(c, lang, url.pathname);
  const eventId = defaultEventId(c.env);
  const now = Date.now();
  const s = await roomSnapshot(c.env, eventId);
  const policy = s.exists ? s.routePolicy : MPQ_ROUTE_POLICY;
  const klass: RouteClass = policyOf(policy).classify(url.pathname);
  if (klass === "closed") return closedPath(c, lang, url.pathname, policy.closedUntil);

  const headers = forwardedHeaders(c, url);
  let sessionCookie: string | null = null;
  if (klass === "protected") {
    const regime = s.exists ? regimeAt(s.opensAt, s.quota.closed, now) : "before_day";
    if (regime === "line") {
      const admission = await admissionOf(c, eventId);
      if (typeof admission === "string") return refuse(c, lang, url.pathname, admission);
      headers.set("X-Guichet-Admission", admission.token);
      headers.set("X-Guichet-Device", stricterDevice(admission.claims.dev, deviceOfRequest(c)));
    } else {
      const held = cookieValue(c, SESSION_COOKIE);
      const session = held ? await verifySession(c.env, held, eventId, issuerOf(c), audienceOf(c.env), now) : null;
      let token = held;
      let expiresAt = session ? session.exp : 0;
      if (!session) {
        // Each session costs an ES256 signature: SESSIONS_PER_MINUTE per address.
        const limit = sessionsPerMinute(c.env);
        const retryAfter = limit > 0 ? countLocally(`session:${clientKey(c.req.header("cf-connecting-ip"))}`, limit, now) : 0;
        if (retryAfter > 0) return tooManySessions(c, lang, url.pathname, retryAfter);
        const issued = await newSession(c.env, eventId, deviceOfRequest(c), now, issuerOf(c), audienceOf(c.env));
        token = issued.token;
        expiresAt = issued.claims.exp;
        sessionCookie = issued.token;
      }
      headers.set("X-Guichet-Admission", token!);
      headers.set("X-Guichet-Session-Expires", iso(expiresAt * 1000));
    }
  }

  let res: Response | null;
  try {
    res = await toOrigin(c, url, headers);
  } catch (e) {
    const timeout = e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError");
    noteOriginFailure(c, eventId, timeout ? "timeout" : "unreachable", url.pathname);
    return originFailed(c, lang, url.pathname, timeout);
  }
  if (res === null) {
    console.warn(JSON.stringify({ level: "warn", what: "target_off_origin" }));
    return ambiguous(c, lang, url.pathname);
  }
  if (res.status >= 500) noteOriginFailure(c, eventId, "server_error", url.pathname);
  return towardClient(c, res, sessionCookie);
}

// The reverse proxy: every path outside /guichet/ and /.well-known/ goes to
// the origin under the event's route policy. Open paths always pass; closed
// paths get 403; protected paths need an admission while the line runs (a
// 60-minute session before opening day). Client X-Guichet-* headers never
// reach the origin; bodies and responses stream through untouched.
import type { Context } from "hono";
import { ADMISSION_COOKIE, AdmissionError, verifyAdmission, type AdmissionClaims } from "../auth/admission";
import { bearerOf } from "../auth/bearer";
import { newSession, SESSION_COOKIE, SESSION_SECONDS, verifySession } from "../auth/session";
import { stricterDevice } from "../domain/device";
import { MPQ_ROUTE_POLICY, type RoutePolicy } from "../domain/event";
import { compilePolicy, regimeAt, type CompiledPolicy, type RouteClass } from "../domain/routes";
import { ApiError, errorBody, langOf, messageFor, type Lang } from "../errors";
import { audienceOf, cookieHeader, cookieValue, deviceOfRequest, issuerOf, type AppEnv } from "../http";
import { noticeResponse } from "../pages/notice";
import { roomSnapshot } from "../snapshots";

type ProxyContext = Context<AppEnv>;

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-authorization"];
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

/** Headers for the origin: the client's, without hop-by-hop ones and without any X-Guichet-* it sent. */
function forwardedHeaders(c: ProxyContext, url: URL): Headers {
  const out = new Headers();
  for (const [name, value] of c.req.raw.headers) {
    const n = name.toLowerCase();
    if (n.startsWith("x-guichet-") || HOP_BY_HOP.includes(n) || n === "host") continue;
    out.append(name, value);
  }
  const client = c.req.header("cf-connecting-ip");
  if (client) out.set("X-Forwarded-For", client);
  out.set("X-Forwarded-Host", url.host);
  out.set("X-Forwarded-Proto", url.protocol.replace(":", ""));
  return out;
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

async function admissionOf(c: ProxyContext, eventId: string): Promise<{ token: string; claims: AdmissionClaims; viaBearer: boolean } | "missing" | "invalid" | "expired"> {
  const bearer = bearerOf(c.req.header("authorization"));
  const token = bearer && bearer.startsWith("ey") ? bearer : cookieValue(c, ADMISSION_COOKIE);
  if (!token) return "missing";
  try {
    const claims = await verifyAdmission(c.env, token, issuerOf(c), audienceOf(c.env));
    if (claims.evt !== eventId) return "invalid";
    return { token, claims, viaBearer: token === bearer };
  } catch (e) {
    if (e instanceof AdmissionError) return e.reason === "admission_expired" ? "expired" : "invalid";
    throw e;
  }
}

/** Sends the request to the origin: ORIGIN service binding if bound, else ORIGIN_URL. Times out waiting for headers only. */
async function toOrigin(c: ProxyContext, url: URL, headers: Headers): Promise<Response> {
  const base = c.env.ORIGIN ? "https://origin.internal" : c.env.ORIGIN_URL;
  if (!base) throw new TypeError("no origin configured (ORIGIN_URL or an ORIGIN service binding)");
  const target = new URL(url.pathname + url.search, base);
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
  const eventId = c.env.EVENT_ID || "csq-2016-06";
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
      if (admission.viaBearer) headers.delete("authorization");
      headers.set("X-Guichet-Admission", admission.token);
      headers.set("X-Guichet-Device", stricterDevice(admission.claims.dev, deviceOfRequest(c)));
    } else {
      const held = cookieValue(c, SESSION_COOKIE);
      const session = held ? await verifySession(c.env, held, eventId, issuerOf(c), audienceOf(c.env), now) : null;
      let token = held;
      let expiresAt = session ? session.exp : 0;
      if (!session) {
        const issued = await newSession(c.env, eventId, deviceOfRequest(c), now, issuerOf(c), audienceOf(c.env));
        token = issued.token;
        expiresAt = issued.claims.exp;
        sessionCookie = issued.token;
      }
      headers.set("X-Guichet-Admission", token!);
      headers.set("X-Guichet-Session-Expires", new Date(expiresAt * 1000).toISOString());
    }
  }

  let res: Response;
  try {
    res = await toOrigin(c, url, headers);
  } catch (e) {
    const timeout = e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError");
    console.warn(JSON.stringify({ level: "warn", what: "origin_failed", timeout, path: url.pathname.slice(0, 100) }));
    return originFailed(c, lang, url.pathname, timeout);
  }
  if (!sessionCookie) return res;
  const out = new Response(res.body, res);
  out.headers.append("Set-Cookie", cookieHeader(c, SESSION_COOKIE, sessionCookie, SESSION_SECONDS));
  return out;
}

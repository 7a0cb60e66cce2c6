// The reverse proxy in front of the origin (a stand-in echo Worker bound as
// ORIGIN): route policy, token trust, header hygiene, sessions before
// opening day, and failures of the origin that cost no one their place.
import { env } from "cloudflare:workers";
import { SignJWT, importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signAdmission, verifyAdmission } from "../src/auth/admission";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { admissionToken, BASE, enter, gateway, ourCookie, room, setCookieLine, status, submissionBody, submit } from "./helpers";

const EVENT = "csq-2016-06"; // the proxy fronts the default event

async function configureDefault(settings: Parameters<ReturnType<typeof room>["configure"]>[0]) {
  const r = await room(EVENT).configure(settings, { source: "test" });
  if (!r.ok) throw new Error(JSON.stringify(r));
  forgetSnapshot(EVENT);
}

async function echoed(res: Response) {
  expect(res.headers.get("x-origin")).toBe("echo");
  return (await res.json()) as { method: string; path: string; search: string; headers: Record<string, string>; bodyLength: number; body: string };
}

const page = { accept: "text/html,application/xhtml+xml" };
let sessionToken = "";

describe("before opening day", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString() }));

  it("lets protected paths pass with a 60-minute session issued on first visit", async () => {
    const first = await gateway("/connexion", { headers: page });
    expect(first.status).toBe(200);
    const cookie = setCookieLine(first, "guichet_session")!;
    expect(cookie).toMatch(/^__Host-guichet_session=/);
    expect(cookie).toMatch(/; Secure;/);
    expect(cookie).toMatch(/Max-Age=3600/);
    expect(cookie).toMatch(/HttpOnly/);
    const seen = await echoed(first);
    const expires = Date.parse(seen.headers["x-guichet-session-expires"]!);
    expect(expires - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    // The origin verifies the session like an admission: same keys, same claims, scope "session".
    const session = seen.headers["x-guichet-admission"]!;
    expect(cookie.split(";")[0]).toBe(`__Host-guichet_session=${session}`);
    const claims = await verifyAdmission(env, session, BASE, "mpq-origin", Date.now(), { session: true });
    expect(claims).toMatchObject({ scope: "session", num: 0, evt: EVENT });
    expect(claims.exp - claims.iat).toBe(3600);

    const again = await gateway("/demande", { headers: page, cookie: cookie.split(";")[0] });
    expect(setCookieLine(again, "guichet_session")).toBeNull();
    expect((await echoed(again)).headers["x-guichet-admission"]).toBe(session);

    // A session is not an admission: the submissions API refuses it.
    const r = await submit(EVENT, submissionBody(session));
    expect(r.res.status).toBe(401);
    expect(r.body.error.code).toBe("admission_invalid");
    sessionToken = session;
  });
});

describe("while the line runs", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() }));

  it("redirects a page request without an admission to the room (303), and refuses an API call (401)", async () => {
    const pageRes = await gateway("/connexion", { headers: page });
    expect(pageRes.status).toBe(303);
    expect(pageRes.headers.get("location")).toBe("/guichet/");
    const api = await gateway("/api/dossier", { headers: { accept: "application/json" } });
    expect(api.status).toBe(401);
    expect(((await api.json()) as any).error).toMatchObject({ code: "admission_required", reason: "missing" });
    // A pre-opening session does not pass the line.
    expect((await gateway("/connexion", { headers: page, cookie: ourCookie("guichet_session", sessionToken) })).status).toBe(303);
    expect((await gateway("/connexion", { headers: page, cookie: ourCookie("guichet_admission", sessionToken) })).status).toBe(303);
    // A path no pattern names is protected: the policy denies by default.
    expect((await gateway("/somewhere-unlisted", { headers: page })).status).toBe(303);
  });

  it("passes a valid admission (cookie or bearer) with X-Guichet-Admission and X-Guichet-Device, and drops spoofed X-Guichet-*", async () => {
    const token = await admissionToken(EVENT, { num: 42 });
    const spoof = { "X-Guichet-Admission": "forged", "X-Guichet-Device": "desktop", "X-Guichet-Whatever": "1" };
    const viaCookie = await gateway("/connexion?step=1", { headers: { ...page, ...spoof }, cookie: ourCookie("guichet_admission", token) });
    expect(viaCookie.status).toBe(200);
    const seen = await echoed(viaCookie);
    expect(seen.path).toBe("/connexion");
    expect(seen.search).toBe("?step=1");
    expect(seen.headers["x-guichet-admission"]).toBe(token);
    expect(seen.headers["x-guichet-device"]).toBe("desktop");
    expect(seen.headers["x-guichet-whatever"]).toBeUndefined();

    const viaBearer = await gateway("/api/dossier", { headers: { authorization: `Bearer ${token}`, "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148" } });
    const seenBearer = await echoed(viaBearer);
    expect(seenBearer.headers["x-guichet-admission"]).toBe(token);
    expect(seenBearer.headers["x-guichet-device"]).toBe("mobile");
    expect(seenBearer.headers.authorization).toBeUndefined();
  });

  it("refuses expired, foreign, tampered and unsigned tokens", async () => {
    const expired = await admissionToken(EVENT, { iat: Math.floor(Date.now() / 1000) - 700 });
    const foreign = await admissionToken("another-event");
    const good = await admissionToken(EVENT);
    const tampered = good.slice(0, -3) + (good.endsWith("A") ? "BBB" : "AAA");
    const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
    const unsigned = `${header}.${good.split(".")[1]}.`;
    const publicOnly = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
    const hs256 = await new SignJWT({ evt: EVENT, num: 1, dev: "desktop" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(BASE)
      .setAudience("mpq-origin")
      .setSubject("x")
      .setJti("y")
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(JSON.stringify({ kty: publicOnly.kty, crv: publicOnly.crv, x: publicOnly.x, y: publicOnly.y })));
    for (const [token, reason] of [
      [expired, "expired"],
      [foreign, "invalid"],
      [tampered, "invalid"],
      [unsigned, "invalid"],
      [hs256, "invalid"],
    ] as const) {
      const res = await gateway("/api/dossier", { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error).toMatchObject({ code: "admission_required", reason });
    }
  });

  it("still trusts tokens signed by the previous key during a rotation", async () => {
    const previous = JSON.parse(env.TEST_PREVIOUS_SIGNING_JWK) as JWK;
    expect(await importJWK(previous, "ES256")).toBeTruthy();
    const now = Math.floor(Date.now() / 1000);
    const old = await signAdmission(
      { ADMISSION_SIGNING_JWK: JSON.stringify(previous) },
      { sub: "s", jti: crypto.randomUUID(), iat: now, exp: now + 600, evt: EVENT, num: 7, dev: "desktop" },
      BASE,
      "mpq-origin",
    );
    const res = await gateway("/demande", { headers: page, cookie: ourCookie("guichet_admission", old) });
    expect(res.status).toBe(200);
  });

  it("lets open paths pass without a token, still without client X-Guichet-* headers", async () => {
    for (const path of ["/", "/aide/faq", "/faq", "/static/app.css", "/AIDE"]) {
      const res = await gateway(path, { headers: { ...page, "X-Guichet-Admission": "forged" } });
      expect(res.status).toBe(200);
      expect((await echoed(res)).headers["x-guichet-admission"]).toBeUndefined();
    }
  });

  it("refuses ambiguous paths (400), and sends paths the URL parser resolves, or another case, through the policy", async () => {
    for (const path of ["/aide/..%2Fconnexion", "/aide%2F..%2Fconnexion", "/aide/%252e%252e/connexion", "/aide//connexion"]) {
      const res = await gateway(path, { headers: page });
      expect(res.status, path).toBe(400);
    }
    // The URL parser resolves dot segments (also %2e) and backslashes before the gateway sees the path: these are /connexion.
    for (const path of ["/aide/../connexion", "/aide\\..\\connexion", "/aide/%2e%2e/connexion", "/Connexion"]) {
      const res = await gateway(path, { headers: page });
      expect(res.status, path).toBe(303);
    }
  });

  it("answers 403 path_closed for closed paths, with a page saying when they reopen", async () => {
    await configureDefault({ routePolicy: { open: ["/", "/aide*"], protected: ["/connexion*", "/demande*", "/api/*"], closed: ["/inscription*"], closedUntil: "2016-09-15T12:00:00Z" } });
    const pageRes = await gateway("/inscription", { headers: page });
    expect(pageRes.status).toBe(403);
    expect(pageRes.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const html = await pageRes.text();
    expect(html).toContain("fermée");
    expect(html).toContain("15 septembre 2016");
    const api = await gateway("/inscription/api", { headers: { accept: "application/json" } });
    expect(api.status).toBe(403);
    expect(((await api.json()) as any).error.code).toBe("path_closed");
  });

  it("keeps the origin's redirects, cookies and caching headers, and streams bodies both ways", async () => {
    const token = await admissionToken(EVENT);
    const redirect = await gateway("/connexion/redirect", { headers: page, cookie: ourCookie("guichet_admission", token) });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/demande");
    expect(redirect.headers.get("set-cookie")).toBe("mpq_session=abc; Path=/; HttpOnly");

    const plain = await gateway("/aide");
    expect(plain.headers.get("cache-control")).toBe("private, max-age=60");
    expect(plain.headers.get("set-cookie")).toBe("origin_pref=1; Path=/");

    const big = "x".repeat(1_000_000);
    const upload = await gateway("/demande/piece", { method: "POST", body: big, headers: { "content-type": "text/plain" }, cookie: ourCookie("guichet_admission", token) });
    expect((await echoed(upload)).bodyLength).toBe(1_000_000);

    const stream = await gateway("/aide/stream?chunks=5");
    expect(await stream.text()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });

  it("gives a clear 502 page when the origin is down and 504 when it hangs, and the place in the line is kept", async () => {
    const ticket = await enter(EVENT);
    expect(ticket.res.status).toBe(201);
    const down = await gateway("/aide/down", { headers: page });
    expect(down.status).toBe(502);
    expect(await down.text()).toContain("votre place dans la file est conservée");
    const api = await gateway("/aide/down", { headers: { accept: "application/json" } });
    expect(api.status).toBe(502);
    expect(((await api.json()) as any).error.code).toBe("origin_unavailable");
    const slow = await gateway("/aide/slow?ms=3000", { headers: { accept: "application/json", "accept-language": "en" } });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as any).error).toMatchObject({ code: "origin_timeout", message: expect.stringContaining("your place in the line is kept") });
    const after = await status(EVENT, ticket.cookie!);
    expect(after.body).toMatchObject({ state: "waiting", number: ticket.body.number });
  });

  it("does not proxy unknown gateway paths", async () => {
    const res = await gateway("/guichet/nothing-here");
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("not_found");
  });
});

describe("once the intake is closed", () => {
  beforeAll(async () => {
    await room(EVENT).close("closed_by_operator");
    forgetSnapshot(EVENT);
  });

  it("lets protected paths pass with a session again (submitting is refused by the quota)", async () => {
    const res = await gateway("/documents", { headers: page });
    expect(res.status).toBe(200);
    expect(setCookieLine(res, "guichet_session")).toMatch(/^__Host-guichet_session=/);
  });
});

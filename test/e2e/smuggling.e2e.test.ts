/// <reference types="node" />
// Request smuggling and path tricks, sent as raw bytes over TCP to the real
// gateway (wrangler dev), with a recording origin behind it: conflicting
// length headers must never let a second, hidden request reach the origin,
// and no path spelling reaches a protected page without an admission. A
// second listener on 127.0.0.1 stands for another host: a path that names it
// (`//127.0.0.1:<port>/x`) must never make the gateway send it anything.
import { SignJWT, importJWK, type JWK } from "jose";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startGateway, type Gateway } from "./gateway";

let gw: Gateway;
let origin: Server;
let elsewhere: Server;
let elsewherePort = 0;
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
/** Every request the second listener received: must stay empty. */
const elsewhereSeen: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];

/** Sends raw bytes, returns everything the server answered before closing (or 3 s). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let out = "";
    const done = () => {
      socket.destroy();
      resolve(out);
    };
    socket.setTimeout(3_000, done);
    socket.on("data", (d) => (out += d.toString("latin1")));
    socket.on("end", done);
    socket.on("error", done);
    socket.write(bytes, "latin1");
  });
}

const statuses = (response: string) => [...response.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));

beforeAll(async () => {
  const originPort = await freePort();
  origin = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.setHeader("content-type", "text/plain");
      res.end(`origin saw ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((r) => origin.listen(originPort, "127.0.0.1", r));
  elsewherePort = await freePort();
  elsewhere = createServer((req, res) => {
    elsewhereSeen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    res.setHeader("content-type", "text/html");
    res.end("<h1>another host</h1>");
  });
  await new Promise<void>((r) => elsewhere.listen(elsewherePort, "127.0.0.1", r));
  // The line is running (opened a minute ago), so protected paths need an admission.
  gw = await startGateway({
    vars: { ORIGIN_URL: `http://127.0.0.1:${originPort}`, EVENT_OPENS_AT: new Date(Date.now() - 60_000).toISOString(), ENTER_LIMIT_PER_MINUTE: 0 },
  });
}, 150_000);

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => origin?.close(r));
  await new Promise((r) => elsewhere?.close(r));
}, 30_000);

describe("request smuggling", () => {
  it("never lets a hidden second request reach the origin", async () => {
    const smuggled = "GET /connexion HTTP/1.1\r\nHost: x\r\nX-Smuggled: yes\r\n\r\n";
    const attempts = [
      // CL.TE: a front end reading Content-Length would forward the smuggled request as body; one reading chunked would not.
      `POST /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${4 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      // TE.CL
      `POST /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5c\r\n${smuggled.slice(0, 0x5c).padEnd(0x5c, "x")}\r\n0\r\n\r\n`,
      // Two different Content-Lengths.
      `POST /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
      // An obfuscated Transfer-Encoding.
      `POST /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${smuggled.length}\r\nTransfer-Encoding : chunked\r\n\r\n${smuggled}`,
      `POST /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    ];
    for (const attempt of attempts) {
      const before = seen.length;
      const answer = await raw(gw.port, attempt);
      // Whatever the gateway answered, the origin never saw /connexion, nor the smuggled header.
      const reached = seen.slice(before);
      expect(reached.some((r) => r.url.startsWith("/connexion") || r.headers["x-smuggled"]), `${JSON.stringify(attempt.slice(0, 80))} → ${statuses(answer)}`).toBe(false);
      // Any answer to a smuggled /connexion would be a 303 to the room, never the origin's page.
      expect(answer).not.toContain("origin saw GET /connexion");
    }
  }, 60_000);
});

describe("path tricks", () => {
  it("reach no protected page without an admission", async () => {
    const tricks = ["/guichet/../connexion", "/aide/../connexion", "/aide/..%2Fconnexion", "/aide%2F..%2Fconnexion", "/aide/%2e%2e/connexion", "/aide/%252e%252e/connexion", "//connexion", "/aide\\..\\connexion", "/CONNEXION", "/connexion%00.css", "/connexion;.css", "/static/../connexion"];
    for (const path of tricks) {
      const before = seen.length;
      const answer = await raw(gw.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
      const [status] = statuses(answer);
      const reached = seen.slice(before);
      // Either refused (303 to the room, 400, 404) or, if it went through, the origin did not see a protected page.
      if (status === 200) {
        for (const r of reached) expect(decodeURIComponent(r.url).toLowerCase(), path).not.toMatch(/(^|\/)connexion/);
      } else {
        expect([303, 400, 404], `${path} → ${status}`).toContain(status);
      }
    }
  }, 60_000);

  it("strips client X-Guichet-* headers through the real HTTP stack", async () => {
    const before = seen.length;
    await raw(gw.port, `GET /aide HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Guichet-Admission: forged\r\nx-guichet-device: desktop\r\nX-GUICHET-ANYTHING: 1\r\nConnection: close\r\n\r\n`);
    const [r] = seen.slice(before);
    expect(r?.url).toBe("/aide");
    expect(Object.keys(r!.headers).filter((h) => h.startsWith("x-guichet-"))).toEqual([]);
  }, 30_000);
});

/** An admission as a claim gives it, signed with this gateway's key (its issuer is its own URL here). */
async function admission(): Promise<string> {
  const jwk = JSON.parse(gw.secrets.ADMISSION_SIGNING_JWK!) as JWK;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ evt: "csq-2016-06", num: 1, dev: "desktop", scope: "admission" })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid!, typ: "JWT" })
    .setIssuer(gw.url)
    .setAudience("mpq-origin")
    .setSubject("ticket-e2e")
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 600)
    .sign(await importJWK(jwk, "ES256"));
}

/** A GET of `target` as raw bytes; its status, and what the origin saw for it (by its probe). */
async function get(target: string, headers: string): Promise<{ status: number | undefined; reached: typeof seen }> {
  const probe = `probe=${crypto.randomUUID()}`;
  const joiner = target.includes("?") ? "&" : "?";
  const answer = await raw(gw.port, `GET ${target}${joiner}${probe} HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n${headers}Connection: close\r\n\r\n`);
  return { status: statuses(answer)[0], reached: seen.filter((r) => r.url.includes(probe)) };
}

describe("paths that name another host, or hide a path parameter", () => {
  it("are refused (400) even for an admitted candidate, and neither the origin nor the other host receives anything", async () => {
    const cookie = `Cookie: guichet_admission=${await admission()}; mpq_session=abc\r\n`;
    // The admission is good: a plain protected path passes with it.
    const control = await get("/connexion", `Accept: text/html\r\n${cookie}`);
    expect(control.status).toBe(200);
    expect(control.reached.map((r) => r.url.split("?")[0])).toEqual(["/connexion"]);
    expect(control.reached[0]!.headers["x-guichet-admission"]).toBeTruthy();
    expect(control.reached[0]!.headers.cookie).toBe("mpq_session=abc");

    const host = `127.0.0.1:${elsewherePort}`;
    const targets = [`//${host}/x`, `//${host}`, `/\\${host}/x`, `/%2F%2F${host}/x`, `/%2f%2f${host}/x`, `/%5C${host}/x`, `/%5c%5c${host}/x`, `//localhost:${elsewherePort}/x`];
    for (const target of targets) {
      for (const accept of ["Accept: text/html\r\n", "Accept: application/json\r\n"]) {
        const { status, reached } = await get(target, accept + cookie);
        expect(status, target).toBe(400);
        expect(reached, target).toEqual([]);
      }
    }
    expect(elsewhereSeen).toEqual([]);
  }, 60_000);

  it("answers 400 to `..;` and its encodings before a Java origin can read them as /connexion or /creer-compte", async () => {
    const targets = [
      "/static/..;/connexion",
      "/static/..%3B/connexion",
      "/static/..%3b/connexion",
      "/static/..;jsessionid=x/connexion",
      "/aide/..;/creer-compte",
      "/aide/..;/inscription",
      "/static/%2e%2e;/connexion",
      "/static;/connexion",
      "/connexion;.css",
      "/aide/..%2Fconnexion",
      "/aide/%252e%252e/connexion",
      "/connexion%00.css",
    ];
    for (const target of targets) {
      for (const accept of ["Accept: text/html\r\n", "Accept: application/json\r\n"]) {
        const { status, reached } = await get(target, accept);
        expect(status, target).toBe(400);
        expect(reached, target).toEqual([]);
      }
    }
    expect(elsewhereSeen).toEqual([]);
  }, 60_000);
});

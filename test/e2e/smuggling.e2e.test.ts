/// <reference types="node" />
// Request smuggling and path tricks, sent as raw bytes over TCP to the real
// gateway (wrangler dev), with a recording origin behind it: conflicting
// length headers must never let a second, hidden request reach the origin,
// and no path spelling reaches a protected page without an admission.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startGateway, type Gateway } from "./gateway";

let gw: Gateway;
let origin: Server;
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

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
  // The line is running (opened a minute ago), so protected paths need an admission.
  gw = await startGateway({
    vars: { ORIGIN_URL: `http://127.0.0.1:${originPort}`, EVENT_OPENS_AT: new Date(Date.now() - 60_000).toISOString(), ENTER_LIMIT_PER_MINUTE: 0 },
  });
}, 150_000);

afterAll(async () => {
  await gw?.stop();
  await new Promise((r) => origin?.close(r));
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

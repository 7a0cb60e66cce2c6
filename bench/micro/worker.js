// Primitives of the gateway's hot paths, each timed alone inside workerd (see
// ../micro.mjs): a room-call round trip, one commit, ways of inserting a batch
// of arrivals, HMAC and SHA-256 (the gateway's, node:crypto's, WebCrypto's)
// and ECDSA. A tight loop keeps code and data warm, so these are floors: under
// the bench's load the same work costs two to four times as much. What they
// are good for is comparing one way of doing a thing with another on the
// same runtime.
import { createHash, createHmac, createPrivateKey, sign as nodeSign } from "node:crypto";
import { DurableObject } from "cloudflare:workers";
// src/auth/hmac.ts, bundled by ../micro.mjs.
import { hmacSha256, sha256 } from "./hmac.js";
// src/auth/ticket.ts, bundled by ../micro.mjs.
import { base64url, signTicket, verifyTicket } from "./ticket.js";

const utf8 = new TextEncoder();
const SECRET = "0123456789abcdef0123456789abcdef";
const MESSAGE = "t1|csq-2016-06|AAAAAAAAAAAAAAAAAAAAAA|12345";
const randomId = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16)))).slice(0, 22);
// Time-ordered ids as src/auth/ticket.ts draws them (here: a counter, then random).
let seq = 1e12;
const orderedId = () => String(seq++) + randomId().slice(0, 9);

const TICKETS = `(number INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, entered_at INTEGER NOT NULL, state TEXT NOT NULL,
  called_at INTEGER, deadline INTEGER)`;

export class Bench extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS t ${TICKETS}; CREATE INDEX IF NOT EXISTS t_state ON t(state, number);
      CREATE TABLE IF NOT EXISTS one (n INTEGER)`);
    this.next = 1 + (this.sql.exec("SELECT max(number) AS m FROM t").one().m ?? 0);
  }

  /** One call: `kind` on a batch of `size` arrivals (or nothing). */
  run(kind, size) {
    if (kind === "noop") return 0;
    if (kind === "write") {
      this.sql.exec("INSERT INTO one (n) VALUES (1)");
      return 1;
    }
    this.ctx.storage.transactionSync(() => {
      if (kind === "row") {
        for (let j = 0; j < size; j++) {
          this.sql
            .exec("INSERT INTO t (number, ticket_id, entered_at, state) VALUES (?, ?, 1, 'waiting') ON CONFLICT (ticket_id) DO NOTHING RETURNING number", this.next++, randomId())
            .toArray();
        }
      } else {
        const ids = Array.from({ length: size }, kind === "json-ordered" ? orderedId : randomId);
        this.sql.exec("INSERT INTO t (number, ticket_id, entered_at, state) SELECT ? + key, value, 1, 'waiting' FROM json_each(?) WHERE true", this.next, JSON.stringify(ids));
        this.next += size;
      }
    });
    return size;
  }
}

// The security headers src/http/context.ts's gatewayHeaders sets on every gateway answer, in its order (keep the two alike).
const SECURITY = [["Cache-Control", "no-store"], ["X-Content-Type-Options", "nosniff"], ["Referrer-Policy", "strict-origin-when-cross-origin"], ["Strict-Transport-Security", "max-age=31536000; includeSubDomains"], ["X-Frame-Options", "DENY"], ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"], ["Cross-Origin-Opener-Policy", "same-origin"], ["Cross-Origin-Resource-Policy", "same-origin"]];

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const what = url.searchParams.get("what");
    const n = Number(url.searchParams.get("n") ?? 1000);
    const size = Number(url.searchParams.get("size") ?? 10);
    if (what.startsWith("room-")) {
      const room = env.BENCH.getByName("bench");
      for (let i = 0; i < n; i++) await room.run(what.slice(5), size);
    } else if (what === "hmac-node") {
      // The key as bytes: as a string, node:crypto's costs twice as much.
      const key = utf8.encode(SECRET);
      for (let i = 0; i < n; i++) createHmac("sha256", key).update(MESSAGE).digest();
    } else if (what === "hmac-gateway") {
      // The gateway's (@noble/hashes, the key's pads hashed once), given the message's bytes as tickets give them.
      const message = utf8.encode(MESSAGE);
      for (let i = 0; i < n; i++) hmacSha256(SECRET, message);
    } else if (what === "sha256-gateway" || what === "sha256-node") {
      // An entry puzzle's check: SHA-256 of the challenge, ":" and the nonce.
      const text = `p1.csq-2016-06.${"A".repeat(16)}.1781354400000.16.${"A".repeat(43)}:123456`;
      const hash = what === "sha256-gateway" ? sha256 : (t) => createHash("sha256").update(t).digest();
      for (let i = 0; i < n; i++) hash(text);
    } else if (what === "hmac-webcrypto") {
      const key = await crypto.subtle.importKey("raw", utf8.encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      for (let i = 0; i < n; i++) await crypto.subtle.sign("HMAC", key, utf8.encode(MESSAGE));
    } else if (what === "es256") {
      const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
      const data = utf8.encode("x".repeat(400));
      for (let i = 0; i < n; i++) await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, data);
    } else if (what === "es256-node") {
      // node:crypto's sign on the same key (DER signatures): no faster than WebCrypto's.
      const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
      const key = createPrivateKey({ key: await crypto.subtle.exportKey("jwk", privateKey), format: "jwk" });
      const data = utf8.encode("x".repeat(400));
      for (let i = 0; i < n; i++) nodeSign("sha256", data, key);
    } else if (what === "b64-js" || what === "b64-native") {
      // base64url of \`size\` bytes, made flat (a header value or a body would flatten it): ours, and V8's own encoder.
      const bytes = crypto.getRandomValues(new Uint8Array(size));
      const encode = what === "b64-js" ? base64url : (b) => b.toBase64({ alphabet: "base64url", omitPadding: true });
      let total = 0;
      for (let i = 0; i < n; i++) {
        bytes[i % size] = i;
        const s = encode(bytes);
        total += s.charCodeAt(s.length >> 1);
      }
      if (total < 0) return new Response("impossible");
    } else if (what === "verify-ticket") {
      // A claim's check of its cookie: the pattern, the MAC's decoding, the HMAC and the comparison, over `size` distinct tickets.
      const cookies = Array.from({ length: size }, (_, i) => signTicket(SECRET, { event: "csq-2016-06", ticketId: randomId().replace(/[+/]/g, "A"), number: 1000 + i }));
      let valid = 0;
      for (let i = 0; i < n; i++) if (verifyTicket(SECRET, cookies[i % size])) valid++;
      if (valid !== n) return new Response(`verify-ticket: ${n - valid} refused`, { status: 500 });
    } else if (what === "timer") {
      for (let i = 0; i < n; i++) setTimeout(() => {}, 250);
    } else if (what === "scheduler-wait") {
      // workerd's own timer promise, against the global setTimeout (which nodejs_compat wraps): slower.
      for (let i = 0; i < n; i++) scheduler.wait(250);
    } else if (what.startsWith("response-")) {
      // An answer's Response object alone: healthz's, and a claim's (a ~450-character token in the body and a cookie).
      const token = "e".repeat(450);
      const claim = what.includes("claim");
      const body = claim ? JSON.stringify({ admission: { token, expiresAt: new Date().toISOString() }, redirect: "/connexion" }) : '{"ok":true}';
      const cookie = `guichet_admission=${token}; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax`;
      const bytes = new TextEncoder().encode(body);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const headers = claim ? { "Content-Type": "application/json", "Set-Cookie": cookie } : { "Content-Type": "application/json" };
        const r = what.endsWith("-bytes") ? new Response(bytes, { status: 200, headers }) : what.endsWith("-pairs") ? new Response(body, { status: 200, headers: Object.entries(headers) }) : new Response(body, { status: 200, headers });
        if (what.endsWith("-secure")) for (const [k, v] of SECURITY) r.headers.set(k, v);
        kept += r.status;
      }
      if (kept !== n * 200) return new Response("response: lost", { status: 500 });
    } else return new Response(`unknown: ${what}`, { status: 404 });
    return new Response("ok");
  },
};

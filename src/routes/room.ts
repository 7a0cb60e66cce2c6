// GET /guichet/: the waiting-room page, or with `Accept: application/json`
// the same body as the status (for a person with or without a number).
// GET /guichet/assets/room.js: the page's script, static and cacheable.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { TICKET_COOKIE, verifyTicket } from "../auth/ticket";
import { classifyDevice } from "../domain/device";
import { ApiError } from "../errors";
import { eventIdOf, type AppEnv } from "../http";
import roomScript from "../pages/room.client.js?raw";
import { renderRoomPage } from "../pages/room";
import { roomStatus } from "../status";
import { existingRoom, ticketStatus } from "./queue";

export const room = new Hono<AppEnv>();

/** A short, stable version of the script (FNV-1a): changes whenever its text does. */
function versionOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/**
 * The script as sent: without indentation, blank lines and whole-line
 * comments. Safe because the script has no multi-line string.
 */
function compact(source: string): string {
  return source
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("//"))
    .join("\n");
}

const ROOM_SCRIPT = compact(roomScript);
export const ROOM_SCRIPT_VERSION = versionOf(ROOM_SCRIPT);
export const ROOM_SCRIPT_PATH = "/guichet/assets/room.js";

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** The page's policy: only this response's own script and style, only same-origin requests. */
function roomCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
  ].join("; ");
}

room.get("/", async (c) => {
  const eventId = eventIdOf(c);
  const s = await existingRoom(c, eventId);
  const raw = getCookie(c, TICKET_COOKIE);
  const ticket = raw ? await verifyTicket(c.env.TICKET_HMAC_KEY, raw) : null;
  const now = Date.now();
  let body = roomStatus(s, now);
  if (ticket && ticket.event === eventId) {
    try {
      body = await ticketStatus(c, s, ticket);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
  if ((c.req.header("accept") ?? "").includes("application/json")) return c.json(body);

  // The page warns phones and tablets even before they hold a number.
  const device =
    body.device ??
    classifyDevice({
      userAgent: c.req.header("user-agent"),
      mobileHint: c.req.header("sec-ch-ua-mobile"),
      platformHint: c.req.header("sec-ch-ua-platform"),
    });
  const lang = c.get("lang");
  const other = new URL(c.req.url).searchParams;
  other.set("lang", lang === "en" ? "fr" : "en");
  const nonce = newNonce();
  c.header("Content-Security-Policy", roomCsp(nonce));
  c.header("Cache-Control", "no-store");
  c.header("Vary", "Accept, Accept-Language, Cookie");
  return c.html(
    renderRoomPage({
      lang,
      status: { ...body, device },
      now,
      nonce,
      scriptSrc: `${ROOM_SCRIPT_PATH}?v=${ROOM_SCRIPT_VERSION}`,
      loginPath: c.env.LOGIN_PATH || "/connexion",
      otherLangHref: `?${other.toString()}`,
    }),
  );
});

room.get("/assets/room.js", (c) => {
  const etag = `"${ROOM_SCRIPT_VERSION}"`;
  // The versioned URL never changes content: cache it for a year. Without the
  // (current) version, a short cache so an old page still gets a working script.
  const cache = c.req.query("v") === ROOM_SCRIPT_VERSION ? "public, max-age=31536000, immutable" : "public, max-age=300";
  c.header("Cache-Control", cache);
  c.header("ETag", etag);
  if (c.req.header("if-none-match") === etag) return c.body(null, 304);
  c.header("Content-Type", "text/javascript; charset=utf-8");
  return c.body(ROOM_SCRIPT);
});

// GET /guichet/: the waiting-room page, or with `Accept: application/json`
// the same body as the status (for a person with or without a number).
// GET /guichet/assets/room.js: the page's script, static and cacheable.
import { Hono } from "hono";
import { TICKET_COOKIE, verifyTicket } from "../auth/ticket";
import { ApiError } from "../http/errors";
import { deviceOfRequest, eventIdOf, type AppEnv } from "../http/context";
import { cookieValue } from "../http/cookies";
import { cspNonce, pageCsp } from "../http/security";
import { scriptAsset, serveScript } from "../pages/assets";
import powScript from "../pages/room/pow.client.js?raw";
import roomScript from "../pages/room/room.client.js?raw";
import { renderRoomPage } from "../pages/room/page";
import { roomStatus } from "../line/status";
import { existingRoom, ticketStatus } from "../line/status";

export const room = new Hono<AppEnv>();

const ROOM_SCRIPT = scriptAsset("/guichet/assets/room.js", roomScript);
const POW_SCRIPT = scriptAsset("/guichet/assets/pow.js", powScript);
export const ROOM_SCRIPT_VERSION = ROOM_SCRIPT.version;
export const ROOM_SCRIPT_PATH = ROOM_SCRIPT.path;

/**
 * The page's policy: only this response's own script and style, the puzzle
 * worker from this origin (created through one Trusted Types policy), only
 * same-origin requests; Cloudflare Turnstile's script and frame only where it
 * is configured.
 */
function roomCsp(nonce: string, turnstile: boolean): string {
  const challenges = turnstile ? ["https://challenges.cloudflare.com"] : [];
  return pageCsp(nonce, {
    scripts: challenges,
    workers: ["'self'"],
    frames: turnstile ? challenges : undefined,
    connect: ["'self'"],
    images: ["'self'"],
    forms: ["'self'"],
    trustedTypes: "guichet-worker",
  });
}

room.get("/", async (c) => {
  const eventId = eventIdOf(c);
  const s = await existingRoom(c, eventId);
  const raw = cookieValue(c, TICKET_COOKIE);
  const ticket = raw ? verifyTicket(c.env.TICKET_HMAC_KEY, raw) : null;
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
  const device = body.device ?? deviceOfRequest(c);
  const lang = c.get("lang");
  const other = new URL(c.req.url).searchParams;
  other.set("lang", lang === "en" ? "fr" : "en");
  const nonce = cspNonce();
  const turnstileSiteKey = c.env.TURNSTILE_SITE_KEY && c.env.TURNSTILE_SECRET ? c.env.TURNSTILE_SITE_KEY : null;
  c.header("Content-Security-Policy", roomCsp(nonce, turnstileSiteKey !== null));
  c.header("Cache-Control", "no-store");
  c.header("Vary", "Accept, Accept-Language, Cookie");
  return c.html(
    renderRoomPage({
      lang,
      status: { ...body, device },
      now,
      nonce,
      scriptSrc: ROOM_SCRIPT.url,
      powWorker: POW_SCRIPT.url,
      turnstileSiteKey,
      loginPath: c.env.LOGIN_PATH || "/connexion",
      otherLangHref: `?${other.toString()}`,
    }),
  );
});

room.get("/assets/room.js", (c) => serveScript(c, ROOM_SCRIPT));
room.get("/assets/pow.js", (c) => serveScript(c, POW_SCRIPT));

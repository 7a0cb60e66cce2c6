// GET /guichet/: the waiting-room page, or with `Accept: application/json`
// the same body as the status (for a person with or without a number).
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { TICKET_COOKIE, verifyTicket } from "../auth/ticket";
import { ApiError } from "../errors";
import { eventIdOf, type AppEnv } from "../http";
import { roomStatus } from "../status";
import { existingRoom, ticketStatus } from "./queue";

export const room = new Hono<AppEnv>();

room.get("/", async (c) => {
  const eventId = eventIdOf(c);
  const s = await existingRoom(c, eventId);
  const raw = getCookie(c, TICKET_COOKIE);
  const ticket = raw ? await verifyTicket(c.env.TICKET_HMAC_KEY, raw) : null;
  let body = roomStatus(s, Date.now());
  if (ticket && ticket.event === eventId) {
    try {
      body = await ticketStatus(c, s, ticket);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
  if ((c.req.header("accept") ?? "").includes("application/json")) return c.json(body);
  return c.html(
    `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Salle d'attente</title></head>` +
      `<body><main><h1>Salle d'attente virtuelle</h1><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre></main></body></html>`,
  );
});

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// GET /guichet/fairness: the page that explains the pre-queue's draw and
// checks it in the browser; GET /guichet/assets/fairness.js: its checker.
import { Hono } from "hono";
import { eventIdOf, type AppEnv } from "../http/context";
import { cspNonce, pageCsp } from "../http/security";
import { scriptAsset, serveScript } from "../pages/assets";
import checker from "../pages/fairness/fairness.client.js?raw";
import { renderFairnessPage } from "../pages/fairness/page";

const CHECKER = scriptAsset("/guichet/assets/fairness.js", checker);

export const fairness = new Hono<AppEnv>();

fairness.get("/fairness", (c) => {
  const api = `/guichet/api/fairness?event=${encodeURIComponent(eventIdOf(c))}`;
  const nonce = cspNonce();
  c.header("Content-Security-Policy", pageCsp(nonce, { scripts: [], connect: ["'self'"] }));
  c.header("Cache-Control", "public, max-age=60");
  return c.html(renderFairnessPage({ lang: c.get("lang"), api, apiUrl: new URL(api, c.req.url).href, nonce, scriptSrc: CHECKER.url }));
});

fairness.get("/assets/fairness.js", (c) => serveScript(c, CHECKER));

// The gateway Worker: mounts the routes, maps errors to the contract's body,
// serves nothing under a configuration that fails its check (src/http/config-check.ts),
// and exports the Durable Object classes.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { database } from "./db/deliver";
import * as schema from "./db/schema";
import { checkedProblems, misconfigured, problemsOf } from "./http/config-check";
import { ConfigError, defaultEventId } from "./domain/event";
import { ApiError, errorBody, langOf } from "./http/errors";
import { type AppEnv } from "./http/context";
import { gatewayHeaders } from "./http/security";
import { dev } from "./routes/dev";
import { fairness } from "./routes/fairness";
import { ops } from "./routes/ops";
import { proxy } from "./routes/proxy";
import { queue } from "./routes/queue";
import { room } from "./routes/room";
import { submissions } from "./routes/submissions";
import { wellknown } from "./routes/wellknown";
import { quotaCounter } from "./durable/shared/stubs";

export { QueueRoom } from "./durable/queue-room/queue-room";
export { QuotaCounter } from "./durable/quota-counter/quota-counter";

// Not strict: `/guichet` and `/guichet/` are the same page.
const app = new Hono<AppEnv>({ strict: false });

app.use("/guichet/*", gatewayHeaders);
app.use("/.well-known/*", gatewayHeaders);

app.get("/guichet/healthz", (c) => c.json({ ok: true }));
app.route("/guichet/api", queue);
app.route("/guichet/api", submissions);
app.route("/guichet/ops", ops);
app.route("/guichet", room);
app.route("/guichet", fairness);
app.route("/.well-known", wellknown);
// The origins' conformance kit: test seams only, never deployed (src/routes/dev.ts).
app.route("/guichet/dev", dev);
// Everything else belongs to the origin.
app.all("*", proxy);

app.notFound((c) => c.json(errorBody("not_found", langOf(c)), 404));

app.onError((err, c) => {
  const lang = langOf(c);
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
    return c.json(errorBody(err.code, lang, err.details), err.status as 400);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody(err.status === 400 ? "invalid_json" : "invalid_body", lang), err.status);
  }
  // Unknown errors: logged without request data (no personal data in logs).
  console.error(JSON.stringify({ level: "error", what: "unhandled", name: err.name, path: new URL(c.req.url).pathname, message: err.message.slice(0, 160) }));
  const code = err instanceof ConfigError ? "misconfigured" : "internal";
  return c.json(errorBody(code, lang), 500);
});

/** What every request gets while the configuration fails its check: 503 misconfigured. */
const refusal = new Hono<AppEnv>();
refusal.use("*", gatewayHeaders);
refusal.all("*", async (c) => misconfigured(c, await problemsOf(c.env)));

/** The first request of an isolate (or of new bindings) waits for the configuration check. */
async function afterCheck(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const problems = await problemsOf(env);
  return (problems.length === 0 ? app : refusal).fetch(request, env, ctx);
}

/**
 * The daily sweep: submissions unpaid 30 days after acceptance become
 * expired_unpaid, for every event D1 knows and the default one.
 */
async function sweepUnpaid(env: Env, now: number): Promise<number> {
  const known = await database(env.DB).selectDistinct({ eventId: schema.events.eventId }).from(schema.events);
  const ids = new Set([defaultEventId(env), ...known.map((e) => e.eventId)]);
  let expired = 0;
  for (const id of ids) expired += (await quotaCounter(env, id).expireUnpaid(now)).expired;
  return expired;
}

export default {
  // Nothing is served, healthz included, until the configuration passes its check (src/http/config-check.ts);
  // once it has, a request costs one lookup more.
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const problems = checkedProblems(env);
    if (problems === undefined) return afterCheck(request, env, ctx);
    return (problems.length === 0 ? app : refusal).fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(sweepUnpaid(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;

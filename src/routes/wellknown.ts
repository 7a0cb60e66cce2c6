// The JWKS the origin verifies admission tokens with.
import { Hono } from "hono";
import { publicJwks } from "../auth/admission";
import type { AppEnv } from "../http/context";

export const wellknown = new Hono<AppEnv>();

wellknown.get("/jwks.json", async (c) => {
  c.header("Cache-Control", "public, max-age=300");
  c.header("Access-Control-Allow-Origin", "*");
  return c.json(await publicJwks(c.env));
});

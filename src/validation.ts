// Request bodies: size (413), content type (415), JSON (400), schema (422,
// with the field at fault). The schema itself is checked by zValidator.
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler, ValidationTargets } from "hono";
import type * as z from "zod";
import { ApiError } from "./errors";
import type { AppEnv } from "./http";

/** The parsed body of a request that sent none (an optional body), told apart by identity. */
const NO_BODY: Promise<unknown> = Promise.resolve({});

/** Reads at most `maxBytes` of the body; refuses more, and refuses a body that is not JSON. */
export function bodyLimit(maxBytes: number, options: { optional?: boolean } = {}): MiddlewareHandler<AppEnv> {
  const noBody = (c: Context<AppEnv>): void => {
    if (!options.optional) throw new ApiError(422, "invalid_body", { field: "(body)" });
    c.req.bodyCache.json = NO_BODY;
  };
  return (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && !/^\d{1,12}$/.test(declared)) throw new ApiError(400, "invalid_body");
    if (declared !== undefined && Number(declared) > maxBytes) throw new ApiError(413, "payload_too_large", { limitBytes: maxBytes });
    // A declared empty body is not read (no stream to open, nothing to await): most enters and claims send none.
    if (declared === "0") {
      noBody(c);
      return next();
    }
    return readLimited(c.req.raw, maxBytes).then((text) => {
      if (text === null) throw new ApiError(413, "payload_too_large", { limitBytes: maxBytes });
      if (text.length === 0) noBody(c);
      else c.req.bodyCache.json = Promise.resolve(parseJson(text, c.req.header("content-type")));
      return next();
    });
  };
}

/** A body's JSON, if its type says JSON (415 otherwise) and it parses (400 otherwise). */
function parseJson(text: string, contentType: string | undefined): unknown {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (!/^application\/([\w.-]+\+)?json$/.test(type)) throw new ApiError(415, "unsupported_media_type");
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json");
  }
}

async function readLimited(req: Request, maxBytes: number): Promise<string | null> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new ApiError(400, "invalid_body", { field: "(encoding)" });
  }
}

/** The field at fault, as a dotted path, from a zod error. */
export function fieldOf(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  return issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)";
}

/**
 * zValidator whose failures become the contract's 400 (query) or 422 (body)
 * with the field. A request without a body, where the schema accepts `{}`
 * (enter, claim), skips the schema: most such requests send none.
 */
export function valid<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  const check = zValidator(target, schema, (result) => {
    if (!result.success) {
      const status = target === "json" ? 422 : 400;
      throw new ApiError(status, target === "json" ? "invalid_body" : "invalid_query", { field: fieldOf(result.error) });
    }
  });
  const empty = target === "json" ? schema.safeParse({}) : null;
  // Only a schema that takes `{}` as it is (no defaults filled in) may skip.
  if (!empty?.success || typeof empty.data !== "object" || empty.data === null || Object.keys(empty.data).length > 0) return check;
  const skipWhenEmpty: MiddlewareHandler = (c, next) => {
    if (c.req.bodyCache.json !== NO_BODY) return check(c, next);
    c.req.addValidatedData("json", {});
    return next();
  };
  return skipWhenEmpty as typeof check;
}

// Request bodies: size (413), content type (415), encoding and JSON (400),
// schema (422, with the field at fault), in one middleware with at most one
// await (reading the body). Queries are checked by zValidator.
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
import type * as z from "zod";
import { ApiError } from "./errors";
import type { AppEnv } from "./context";

/** Decodes a body's bytes; refuses what is not UTF-8 (stateless between calls, so one serves every request). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * A JSON body checked against `schema`, for `c.req.valid("json")`. At most
 * `maxBytes` are read; a declared length above it is refused unread. With
 * `optional`, a request without a body (or an empty one) counts as `{}`.
 *
 * One middleware and one await rather than hono's bodyLimit and zValidator:
 * hono's `c.req.json()` rereads a body another middleware has cached by
 * making a new Response of it, and zValidator parses asynchronously; under
 * the room page's enters and claims (which always send a small body) that
 * costs more than a whole baseline request of CPU (bench/HISTORY.md).
 */
export function jsonBody<T extends z.ZodType>(schema: T, { maxBytes, optional = false }: { maxBytes: number; optional?: boolean }) {
  const check = (c: Context<AppEnv>, text: string): void => {
    const value = text.length === 0 ? noBody(optional) : parseJson(text, c.req.header("content-type"));
    const result = schema.safeParse(value);
    if (!result.success) throw new ApiError(422, "invalid_body", { field: fieldOf(result.error) });
    c.req.addValidatedData("json", result.data as object);
  };
  const middleware: MiddlewareHandler<AppEnv> = (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && !/^\d{1,12}$/.test(declared)) throw new ApiError(400, "invalid_body");
    if (declared !== undefined && Number(declared) > maxBytes) throw new ApiError(413, "payload_too_large", { limitBytes: maxBytes });
    // An empty body, declared (a browser's POST without one) or absent, is not read: nothing to await.
    if (declared === "0" || (declared === undefined && c.req.raw.body === null)) {
      check(c, "");
      return next();
    }
    return readBody(c.req.raw, declared !== undefined, maxBytes).then((text) => {
      check(c, text);
      return next();
    });
  };
  return middleware as MiddlewareHandler<AppEnv, string, { in: { json: z.input<T> }; out: { json: z.output<T> } }>;
}

/** What a request without a body stands for: `{}` where the body is optional; 422 otherwise. */
function noBody(optional: boolean): object {
  if (!optional) throw new ApiError(422, "invalid_body", { field: "(body)" });
  return {};
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

/**
 * The body as text, at most `maxBytes` of it (413 beyond). With a declared
 * length (already checked against the limit; the runtime delivers no more
 * than it declares) the body is read whole in one call, without opening a
 * stream in JavaScript; a chunked body is read chunk by chunk and stopped at
 * the limit.
 */
async function readBody(req: Request, declared: boolean, maxBytes: number): Promise<string> {
  if (declared) return decode(new Uint8Array(await req.arrayBuffer()));
  if (!req.body) throw new Error("readBody: the middleware answers a request without a body itself");
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ApiError(413, "payload_too_large", { limitBytes: maxBytes });
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return decode(all);
}

function decode(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_body", { field: "(encoding)" });
  }
}

/**
 * The field at fault, as a dotted path, from a zod error. An unknown field
 * (a strict object's `unrecognized_keys`) comes first and is named itself:
 * a misspelt field is both unknown and missing, and its misspelling is what
 * to fix.
 */
export function fieldOf(error: z.core.$ZodError): string {
  const issue = error.issues.find((i) => i.code === "unrecognized_keys") ?? error.issues[0];
  if (!issue) return "(body)";
  const path = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  return path.length > 0 ? path.map(String).join(".") : "(body)";
}

/** zValidator for a query, whose failures become the contract's 400 with the field. */
export function validQuery<T extends z.ZodType>(schema: T) {
  return zValidator("query", schema, (result) => {
    if (!result.success) throw new ApiError(400, "invalid_query", { field: fieldOf(result.error) });
  });
}

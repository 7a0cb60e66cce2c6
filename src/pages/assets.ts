// The gateway's own browser scripts (room page, puzzle worker, draw checker),
// served as static text under /guichet/assets/: compacted, versioned by a hash
// of their text, cached for a year at their versioned URL.
import type { Context } from "hono";

/** A short, stable version of a text (FNV-1a): changes whenever the text does. */
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
 * comments. Safe because our scripts have no multi-line string.
 */
function compact(source: string): string {
  return source
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("//"))
    .join("\n");
}

export interface ScriptAsset {
  path: string;
  version: string;
  body: string;
  /** The versioned URL pages link to. */
  url: string;
}

export function scriptAsset(path: string, source: string): ScriptAsset {
  const body = compact(source);
  const version = versionOf(body);
  return { path, version, body, url: `${path}?v=${version}` };
}

export function serveScript(c: Context, asset: ScriptAsset): Response {
  const etag = `"${asset.version}"`;
  // The versioned URL never changes content: cache it for a year. Without the
  // (current) version, a short cache so an old page still gets a working script.
  c.header("Cache-Control", c.req.query("v") === asset.version ? "public, max-age=31536000, immutable" : "public, max-age=300");
  c.header("ETag", etag);
  if (c.req.header("if-none-match") === etag) return c.body(null, 304);
  c.header("Content-Type", "text/javascript; charset=utf-8");
  return c.body(asset.body);
}

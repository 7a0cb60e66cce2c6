#!/usr/bin/env node
// `npm run openapi`: writes docs/openapi.json from the zod schemas
// (src/contract/document.ts), the document the gateway serves at
// /guichet/api/openapi.json. test/openapi.test.ts fails while the committed
// file differs from what the schemas give; `--check` only compares.
// esbuild (wrangler's own) bundles the TypeScript for Node; nothing of it runs in the Worker.
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const OUT = join(ROOT, "docs/openapi.json");

const bundled = await build({
  entryPoints: [join(ROOT, "src/contract/document.ts")],
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  logLevel: "error",
});
const { openApiDocument } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString("base64")}`);
const text = `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv.includes("--check")) {
  const same = readFileSync(OUT, "utf8") === text;
  console.log(same ? "docs/openapi.json is up to date" : "docs/openapi.json differs from the schemas: run npm run openapi");
  process.exit(same ? 0 : 1);
}
writeFileSync(OUT, text);
console.log(`wrote docs/openapi.json (${text.length} bytes)`);

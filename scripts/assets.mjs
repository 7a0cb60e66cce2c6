#!/usr/bin/env node
// Copies the dashboard's libraries from node_modules into
// public/guichet/ops/assets/vendor/, and docs/openapi.json to
// public/guichet/api/openapi.json, which wrangler serves as static assets
// (see [assets] in wrangler.toml): the Worker never bundles them. uPlot (MIT)
// draws the charts; eventsource-parser (MIT) reads the metrics stream, its
// browser ES modules copied as they are so that their relative imports hold.
// The versions are the ones package-lock.json pins, with their integrity
// hashes; nothing minified is committed. Run by wrangler's [build] command
// (dev, deploy, build) and by the vitest configs; copies only what changed,
// so watchers stay quiet.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "public", "guichet", "ops", "assets", "vendor");
const PARSER = "node_modules/eventsource-parser";

/** [from, to]: a path under the project, a path under vendor/. */
function files() {
  const parserDist = join(root, PARSER, "dist");
  if (!existsSync(parserDist)) throw new Error(`${PARSER} is missing: run npm install`);
  return [
    ["node_modules/uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
    ["node_modules/uplot/dist/uPlot.min.css", "uPlot.min.css"],
    ["node_modules/uplot/LICENSE", "uPlot.LICENSE.txt"],
    // Every module of the build, so that an import added by a new version is there too.
    ...readdirSync(parserDist)
      .filter((name) => name.endsWith(".js"))
      .map((name) => [`${PARSER}/dist/${name}`, `eventsource-parser/${name}`]),
    [`${PARSER}/LICENSE`, "eventsource-parser/LICENSE.txt"],
  ];
}

/** [from, to] outside vendor/: the OpenAPI document, served as it is committed under docs/ (npm run openapi writes it). */
const DOCUMENTS = [["docs/openapi.json", "public/guichet/api/openapi.json"]];

export function copyAssets() {
  let copied = 0;
  const copies = [...files().map(([from, to]) => [from, join(vendor, to)]), ...DOCUMENTS.map(([from, to]) => [from, join(root, to)])];
  for (const [from, target] of copies) {
    const source = join(root, from);
    if (!existsSync(source)) throw new Error(`${from} is missing: run npm install`);
    if (existsSync(target) && readFileSync(source).equals(readFileSync(target))) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    copied += 1;
  }
  return copied;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const copied = copyAssets();
  if (copied > 0) console.log(`guichet: copied ${copied} static asset(s) into public/ (the dashboard's vendor/, the OpenAPI document)`);
}

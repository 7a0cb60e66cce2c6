#!/usr/bin/env node
// Copies the dashboard's chart library (uPlot, MIT) from node_modules into
// public/guichet/ops/assets/vendor/, which wrangler serves as static assets
// (see [assets] in wrangler.toml): the Worker never bundles it. The version
// is the one package-lock.json pins, with its integrity hash; nothing minified
// is committed. Run by wrangler's [build] command (dev, deploy, build) and by
// the vitest configs; copies only what changed, so watchers stay quiet.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "public", "guichet", "ops", "assets", "vendor");

const FILES = [
  ["node_modules/uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["node_modules/uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["node_modules/uplot/LICENSE", "uPlot.LICENSE.txt"],
];

export function copyAssets() {
  mkdirSync(vendor, { recursive: true });
  let copied = 0;
  for (const [from, to] of FILES) {
    const source = join(root, from);
    const target = join(vendor, to);
    if (!existsSync(source)) throw new Error(`${from} is missing: run npm install`);
    if (existsSync(target) && readFileSync(source).equals(readFileSync(target))) continue;
    copyFileSync(source, target);
    copied += 1;
  }
  return copied;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const copied = copyAssets();
  if (copied > 0) console.log(`guichet: copied ${copied} dashboard asset(s) into public/guichet/ops/assets/vendor/`);
}

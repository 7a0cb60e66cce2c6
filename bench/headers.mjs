#!/usr/bin/env node
// What the room page's request headers cost an enter: the same `POST
// /guichet/api/enter` loaded with more and more of the headers a browser
// sends (none; an empty body's length; the user agent and Accept; Origin and
// Sec-Fetch-Site; the page's touch points, i.e. all of `pagePostHeaders`),
// beside `GET /guichet/healthz` bare and with a browser's headers, on one
// gateway, rounds of slices, every other round in reverse order. Prints
// workerd CPU µs per request for each.
//   node bench/headers.mjs [--rounds 4] [--seconds 3]
import { parseArgs } from "node:util";
import { cpuInRounds, startGateway, workerdPid } from "./gateway.mjs";
import { BROWSER_HEADERS, load, opsClient, pagePostHeaders, wholeOption } from "./lib.mjs";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "4" }, seconds: { type: "string", default: "3" } } });
const rounds = wholeOption("rounds", args.rounds);
const seconds = wholeOption("seconds", args.seconds);
const EVENT = "headers";
const ENTER = `/guichet/api/enter?event=${EVENT}`;

let g;
process.on("SIGINT", () => void g?.dispose().finally(() => process.exit(130)));
try {
  g = await startGateway();
  await opsClient(g.url, g.secrets).configure(EVENT, { opensAt: new Date(Date.now() - 1000).toISOString(), maxActive: 500 });
  const page = pagePostHeaders(g.url);
  const emptyBody = { ...BROWSER_HEADERS, "content-length": "0" };
  /** [label, method, path, headers]. */
  const variants = [
    ["healthz, no headers", "GET", "/guichet/healthz", {}],
    ["healthz, a browser's (the bench's baseline)", "GET", "/guichet/healthz", BROWSER_HEADERS],
    ["enter, no headers", "POST", ENTER, {}],
    ["enter, Content-Length: 0", "POST", ENTER, { "content-length": "0" }],
    ["enter, and a browser's", "POST", ENTER, emptyBody],
    ["enter, and Origin, Sec-Fetch-Site", "POST", ENTER, { ...emptyBody, origin: page.origin, "sec-fetch-site": page["sec-fetch-site"] }],
    ["enter, the page's (the bench's enter)", "POST", ENTER, page],
  ];
  const loads = variants.map(([label, method, path, headers]) => [label, () => load(g.url, { connections: 50, duration: seconds, method, path, headers })]);
  const us = await cpuInRounds(workerdPid(), loads, rounds, "headers");
  console.log(`workerd CPU per request, ${rounds} rounds of ${seconds} s per variant, 50 connections`);
  console.log("| request | µs/request |\n|---|---:|");
  variants.forEach(([label], i) => console.log(`| ${label} | ${us[i].toFixed(1)} |`));
} finally {
  await g?.dispose();
}

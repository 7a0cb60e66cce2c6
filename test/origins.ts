// What the two origin fixtures received (vitest.config.ts): the echo origin
// (test/fixtures/echo-origin.js) records requests whose query holds a probe;
// the evil origin (test/fixtures/evil-origin.js, https://evil.example) records
// every request. An attack carries a fresh probe in its query, so that files
// running side by side never see each other's requests.
import { env } from "cloudflare:workers";

export interface Received {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
}

/** A fresh probe: `probe=<uuid>`, for a request's query. */
export function newProbe(): string {
  return `probe=${crypto.randomUUID()}`;
}

/** The requests carrying `probe` that reached the echo origin (through the ORIGIN binding, or as https://origin.test). */
export async function echoReceived(probe: string): Promise<Received[]> {
  const url = `https://origin.test/__fixture/received?probe=${encodeURIComponent(probe.replace(/^probe=/, ""))}`;
  const res = env.ORIGIN ? await env.ORIGIN.fetch(url) : await fetch(url);
  return (await res.json()) as Received[];
}

/** Every request that reached https://evil.example since the pool started. */
export async function evilReceived(): Promise<Received[]> {
  const res = await fetch("https://evil.example/__fixture/received");
  if (!res.ok) throw new Error(`the evil origin fixture is not reachable: ${res.status}`);
  return (await res.json()) as Received[];
}

// The live metrics: /guichet/ops/api/stream read with fetch() (EventSource
// cannot send a header, and a token in a URL ends up in logs), its text fed
// to eventsource-parser. A stream silent for 5 s, closed or failed is shown
// as disconnected and reconnected with backoff.
import { createParser } from "../vendor/eventsource-parser/index.js";
import { AuthError, call } from "./api.js";
import { $, fmt, T } from "./page.js";

const STALE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 8_000;

let onMetrics = () => {};
let stream = null;
let lastDataAt = 0;
let connectingSince = 0;
let backoffMs = 1_000;
let retryTimer = null;
let countdownTimer = null;

export function setConn(state, text) {
  const el = $("#conn");
  el.className = `conn conn-${state}`;
  el.textContent = text;
  document.body.dataset.stream = state;
}

export function stopStream() {
  if (stream) stream.abort();
  stream = null;
  clearTimeout(retryTimer);
  clearInterval(countdownTimer);
}

function reconnectLater() {
  stopStream();
  const until = Date.now() + backoffMs;
  const show = () => setConn("down", fmt(T.disconnected, { s: Math.max(1, Math.ceil((until - Date.now()) / 1000)) }));
  show();
  countdownTimer = setInterval(show, 500);
  retryTimer = setTimeout(connect, backoffMs);
  backoffMs = Math.min(10_000, backoffMs * 2);
}

function onEvent(event) {
  if (event.event !== "metrics" || !event.data) return;
  const m = JSON.parse(event.data);
  lastDataAt = Date.now();
  backoffMs = 1_000;
  setConn("live", T.live);
  onMetrics(m);
}

/** Opens the stream, closing any other; `handler` gets each metrics snapshot. */
export function startStream(handler) {
  onMetrics = handler;
  connect();
}

async function connect() {
  stopStream();
  const controller = new AbortController();
  stream = controller;
  connectingSince = Date.now();
  // After a loss the indicator stays red while it tries again: only the first connection is "connecting".
  if (document.body.dataset.stream === "down") setConn("down", T.reconnecting);
  else setConn("wait", T.connecting);
  // Any whole frame counts, a comment or the retry hint too: the server was there.
  let received = false;
  const seen = () => {
    received = true;
  };
  const parser = createParser({ onEvent: (event) => (seen(), onEvent(event)), onComment: seen, onRetry: seen });
  try {
    const res = await call("stream", { signal: controller.signal, headers: { Accept: "text/event-stream" } });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    // The server ends a stream after a while: come straight back.
    if (stream === controller && received) {
      connect();
      return;
    }
    throw new Error("stream ended");
  } catch (e) {
    if (e instanceof AuthError || stream !== controller) return;
    reconnectLater();
  }
}

// A stream that goes quiet (a proxy holding it, a laptop waking up) counts as
// lost, and so does an attempt that gets nothing within CONNECT_TIMEOUT_MS.
setInterval(() => {
  if (!stream) return;
  const live = document.body.dataset.stream === "live";
  if ((live && Date.now() - lastDataAt > STALE_MS) || (!live && Date.now() - connectingSince > CONNECT_TIMEOUT_MS)) reconnectLater();
}, 1_000);

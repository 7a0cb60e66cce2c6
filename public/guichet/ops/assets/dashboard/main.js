// The operators' dashboard (GET /guichet/ops/), loaded as an ES module by a
// shell with a strict CSP: its imports inherit the shell's nonce. Static
// assets, never bundled into the Worker; uPlot and eventsource-parser are
// served from ../vendor/ (copied from node_modules by scripts/assets.mjs).
import { showBusiestAddresses } from "./addresses.js";
import { AuthError, onUnauthorized } from "./api.js";
import { loadAudit } from "./audit.js";
import { loadHistory, makeCharts, plot } from "./charts.js";
import "./controls.js";
import { showHeadline } from "./headline.js";
import { askForToken, setupLogin } from "./login.js";
import { T, translatePage } from "./page.js";
import { followConfig, loadEvent } from "./settings.js";
import { setConn, startStream, stopStream } from "./stream.js";

translatePage();
onUnauthorized((refused) => {
  stopStream();
  askForToken(refused);
});
setupLogin(() => start());

function onMetrics(m) {
  showHeadline(m);
  showBusiestAddresses(m);
  plot(m);
  followConfig(m);
}

let started = false;
let retryTimer = null;
async function start() {
  clearTimeout(retryTimer);
  try {
    const view = await loadEvent();
    if (!started) {
      started = true;
      makeCharts();
      await loadHistory(view.settings ? view.settings.quota : null);
      setInterval(loadAudit, 30_000);
    }
    loadAudit();
    startStream(onMetrics);
  } catch (e) {
    if (e instanceof AuthError) return;
    setConn("down", `${T.error} : ${e.message}`);
    retryTimer = setTimeout(start, 5_000);
  }
}

start();

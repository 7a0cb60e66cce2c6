// The busiest addresses: those that took numbers in their last minute while
// paying more than the event's puzzle, as HMAC tags (the gateway never sends
// an address), shortened here, with the puzzle's bits asked of them. Its own
// section, built on the first metrics, after the charts.
import { $, n, T } from "./page.js";

const COLUMNS = ["addressTag", "addressArrivals", "addressDifficulty"];
let body = null;

function section() {
  const wrap = document.createElement("section");
  wrap.setAttribute("aria-labelledby", "h-busiestAddresses");
  const title = document.createElement("h2");
  title.id = "h-busiestAddresses";
  title.textContent = T.busiestAddresses;
  const help = document.createElement("p");
  help.className = "muted";
  help.textContent = T.busiestHelp;
  const table = document.createElement("table");
  table.className = "audit";
  table.setAttribute("aria-labelledby", "h-busiestAddresses");
  const head = table.createTHead().insertRow();
  for (const key of COLUMNS) {
    const th = document.createElement("th");
    th.textContent = T[key];
    head.append(th);
  }
  body = table.createTBody();
  body.id = "busiest-addresses";
  const scroll = document.createElement("div");
  scroll.className = "audit-wrap";
  scroll.append(table);
  wrap.append(title, help, scroll);
  const charts = $("#h-charts")?.closest("section");
  if (charts) charts.after(wrap);
  else $("main").append(wrap);
}

export function showBusiestAddresses(m) {
  if (!body) section();
  const list = Array.isArray(m.busiestAddresses) ? m.busiestAddresses : [];
  if (list.length === 0) {
    const cell = document.createElement("td");
    cell.colSpan = COLUMNS.length;
    cell.textContent = T.noBusyAddress;
    body.replaceChildren(body.insertRow());
    body.rows[0].append(cell);
    return;
  }
  body.replaceChildren(
    ...list.map((a) => {
      const tr = document.createElement("tr");
      const tag = document.createElement("td");
      tag.className = "mono";
      tag.textContent = `${String(a.address).slice(0, 8)}…`;
      const arrivals = document.createElement("td");
      arrivals.textContent = n(a.arrivals);
      const bits = document.createElement("td");
      bits.textContent = String(a.difficulty);
      tr.append(tag, arrivals, bits);
      return tr;
    }),
  );
}

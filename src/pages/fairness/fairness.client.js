// The draw checker (served as /guichet/assets/fairness.js): fetches what
// Guichet published about the pre-queue's draw and recomputes it in the
// browser with WebCrypto, without trusting Guichet's own computation.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("fairness-data").textContent);
  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
  const show = (text, ok) => {
    const out = $("result");
    out.textContent = text;
    out.className = ok ? "ok" : "bad";
  };

  async function check() {
    $("check").disabled = true;
    show(data.strings.checking, true);
    const published = await (await fetch(data.api, { cache: "no-store" })).json();
    if (!published.seed) {
      $("check").disabled = false;
      return show(data.strings.notYet, false);
    }
    const commitment = hex(await crypto.subtle.digest("SHA-256", bytes(published.seed)));
    if (commitment !== published.commitment) return show(data.strings.badCommitment, false);
    const key = await crypto.subtle.importKey("raw", bytes(published.seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const encoder = new TextEncoder();
    const keyed = await Promise.all(
      published.tickets.map(async (t) => ({ id: t.publicId, number: t.number, k: hex(await crypto.subtle.sign("HMAC", key, encoder.encode(t.publicId))) })),
    );
    const order = [...keyed].sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : 1));
    const wrong = order.filter((t, i) => t.number !== i + 1);
    const mine = $("mine").value.trim();
    const found = mine ? keyed.find((t) => t.id === mine) : null;
    let text = wrong.length === 0 ? data.strings.ok.replace("{n}", String(order.length)) : data.strings.mismatch.replace("{n}", String(wrong.length));
    if (mine) text += " " + (found ? data.strings.yours.replace("{number}", String(found.number)) : data.strings.notFound);
    show(text, wrong.length === 0);
  }

  $("check").addEventListener("click", () => check().catch(() => show(data.strings.failed, false)));
})();

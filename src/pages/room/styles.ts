// The room page's styles, inlined under the page's nonce: no extra request
// before the first paint on a slow link. Contrast: text #1b1b1b and the
// Quebec blue #095797 on white are both above 7:1.
export const ROOM_CSS = `
*{box-sizing:border-box}
[hidden]{display:none!important}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;line-height:1.5;color:#1b1b1b;background:#f1f1f2}
body{margin:0}
a{color:#095797}
a:focus-visible,button:focus-visible{outline:3px solid #e58a00;outline-offset:2px}
[tabindex="-1"]:focus{outline:none}
.top{background:#095797;color:#fff;display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem}
.top a{color:#fff}
.brand{margin:0;font-weight:700;font-size:1.1rem}
main{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:0 0 .5rem}
.panel,.reminder,.entry{background:#fff;border:1px solid #c5cad2;border-radius:6px;padding:1rem 1.25rem;margin:0 0 1rem}
.entry{text-align:center}
.banner{background:#fff8e1;border-left:6px solid #e58a00;padding:.75rem 1rem;margin:0 0 1rem}
.banner>p{margin:0}
.warn{background:#fdecea;border-left:6px solid #b3261e;padding:.75rem 1rem;margin:0 0 1rem}
.warn h2{color:#8c1d18}
.net{background:#1b1b1b;color:#fff;padding:.5rem 1rem;border-radius:4px}
.countdown{font-size:1.2rem}
.countdown strong{font-size:2rem;font-variant-numeric:tabular-nums;display:block}
button,.button{font:inherit;font-size:1.15rem;font-weight:700;padding:.7rem 1.6rem;border-radius:6px;border:2px solid #095797;background:#095797;color:#fff;cursor:pointer;display:inline-block;text-decoration:none}
.second{background:#fff;color:#095797;font-size:1rem;padding:.5rem 1rem}
button:disabled{background:#e3e6ea;border-color:#8a93a0;color:#4a525d;cursor:not-allowed}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem;margin:0 0 1rem}
.facts div{border:1px solid #c5cad2;border-radius:4px;padding:.5rem .75rem}
.facts dt{font-size:.9rem}
.facts dd{margin:0;font-size:1.4rem;font-weight:700;font-variant-numeric:tabular-nums}
.facts .big{grid-column:1/-1;background:#095797;color:#fff;border-color:#095797}
.facts .big dd{font-size:2.2rem}
progress{width:100%;height:1.1rem;accent-color:#095797}
.small{font-size:.9rem;color:#4a525d}
.turn{border:3px solid #1e7b34;background:#eaf6ec}
.turn h2{font-size:1.6rem;color:#155724}
footer{max-width:42rem;margin:0 auto;padding:0 1rem 2rem;font-size:.9rem;color:#4a525d}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`
  .trim()
  .replace(/\n/g, "");

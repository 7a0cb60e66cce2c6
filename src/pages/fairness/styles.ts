// The fairness page's styles, inlined under the page's nonce (one request
// fewer); the same blue and contrast as the room page.
export const FAIRNESS_CSS =
  "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f7fa}main{max-width:44rem;margin:2rem auto;padding:2rem;background:#fff;border-top:6px solid #095797}code,pre{background:#eef2f6;padding:.1rem .3rem;overflow-wrap:anywhere}pre{padding:.6rem;white-space:pre-wrap}button{font:inherit;padding:.5rem 1rem;background:#095797;color:#fff;border:0;border-radius:4px}button:disabled{opacity:.6}input{font:inherit;width:100%;padding:.4rem}.ok{color:#1b5e20}.bad{color:#b71c1c;font-weight:bold}";

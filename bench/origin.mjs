// A trivial origin for the proxy scenario: a Node http server on 127.0.0.1
// answering every path with a small HTML page, marked so the harness can tell
// that a response really came from it.
import { createServer } from "node:http";

export async function startOrigin() {
  const page = Buffer.from("<!doctype html><title>Aide</title><h1>Aide</h1><p>Origine locale du banc d'essai.</p>\n");
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": page.length, "x-bench-origin": "1" });
    res.end(page);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", resolve).once("error", reject));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

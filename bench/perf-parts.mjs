// Parts of workerd's time, as Linux `perf` samples see them (bench/perf.mjs
// for the gateway's process, bench/room.mjs --perf for the objects').
/**
 * Parts of the runtime, matched against frames' symbols. The first ones are
 * whole operations: a sample anywhere inside one is its, in this order of
 * precedence (garbage collection walks V8's internals, a commit calls the
 * allocator, an object's method runs JavaScript and SQL). The last three are
 * matched from the innermost frame outwards, the JIT's frames by their object.
 */
export const PARTS = [
  { name: "garbage collection", anywhere: true, re: /Heap::CollectGarbage|Heap::CallGCEpilogueCallbacks|Scavenger|MinorGC|MarkCompact|IncrementalMarking|ConcurrentMarking|ArrayBufferSweeper|cppgc::internal::(Marker|Sweeper)/ },
  { name: "WebCrypto (ES256)", anywhere: true, re: /SubtleCrypto::sign|ECDSA_sign|EVP_DigestSign|ecp_nistz256|bn_mul_mont|sha(256|512)_block_data_order/ },
  { name: "SQLite commit (WAL, fsync)", anywhere: true, re: /vdbeCommit|sqlite3PagerCommit|sqlite3WalCheckpoint|ActorSqlite::commit/ },
  { name: "SQLite statements", anywhere: true, re: /sqlite3_step|sqlite3_prepare|SqlStorage::|SqliteDatabase::Query/ },
  { name: "timers (set, fire, drop)", anywhere: true, re: /^workerd::api::ServiceWorkerGlobalScope::(setTimeout|clearTimeout)|^workerd::IoContext::TimeoutManagerImpl::(setTimeoutImpl|clearTimeout)\(|TimeoutState::~TimeoutState/ },
  // The object's side of a call (its method, JavaScript included) and the copying of arguments and results both ways.
  { name: "Durable Object call (the object's side, copies)", anywhere: true, re: /JsRpcTargetBase::|jsg::Serializer|jsg::Deserializer|ValueSerializer|ValueDeserializer/ },
  { name: "Request, Response and Headers objects", anywhere: true, re: /^workerd::api::(Headers|Request|Response|Body)::/ },
  { name: "HTTP and sockets", re: /hyper|http::|bytes::|futures_util|workerd_server::listen|tcp_|sock_|writev|readv|epoll|mio::|tokio|__libc_recv|__libc_send|kj::HttpHeaders|kj::HttpServer/ },
  { name: "JavaScript (ours, hono, V8 builtins)", jit: true, re: /^Builtins_|^v8::/ },
  { name: "runtime (IoContext, jsg, promises)", re: /workerd::|kj::|jsg::/ },
];
export const OTHER = "other (allocator, kernel)";

/** Parts' shares of the samples in a `perf script` output; `detail`: a part whose innermost frames to count too. */
export function shares(script, detail) {
  const counts = new Map();
  const others = new Map();
  const details = new Map();
  let total = 0;
  for (const sample of script.split("\n\n")) {
    // Frame lines only ("<address> <symbol> (<object>)"), innermost first.
    const frames = sample.split("\n").map((l) => l.trim()).filter((l) => /^[0-9a-f]+ /.test(l));
    if (frames.length === 0) continue;
    total += 1;
    // The JIT's frames have no symbol but their object.
    const parsed = frames.map((frame) => {
      const m = /^[0-9a-f]+ (.*) \((.*)\)$/.exec(frame);
      return m ? { sym: m[1].replace(/\+0x[0-9a-f]+$/, ""), jit: /JIT|perf-\d+\.map/.test(m[2]) } : { sym: frame, jit: false };
    });
    const whole = PARTS.find((p) => p.anywhere && parsed.some((f) => p.re.test(f.sym)));
    let part = whole?.name ?? OTHER;
    if (!whole) {
      for (const f of parsed) {
        const found = PARTS.find((p) => !p.anywhere && ((p.jit && f.jit) || p.re.test(f.sym)));
        if (found) {
          part = found.name;
          break;
        }
      }
    }
    counts.set(part, (counts.get(part) ?? 0) + 1);
    if (detail && part.includes(detail)) {
      const where = parsed.slice(0, 2).map((f) => (f.jit ? "(JIT)" : f.sym.slice(0, 70))).join(" < ");
      details.set(where, (details.get(where) ?? 0) + 1);
    }
    if (part === OTHER) {
      const where = parsed.slice(0, 3).map((f) => f.sym.slice(0, 60)).join(" < ");
      others.set(where, (others.get(where) ?? 0) + 1);
    }
  }
  const topOthers = (n) => [...others].sort((a, b) => b[1] - a[1]).slice(0, n).map(([where, k]) => `${((k / total) * 100).toFixed(2)}% ${where}`);
  // µs per request of each innermost frame pair in the part named by --detail.
  const detailUs = (usPerRequest) => new Map([...details].map(([where, k]) => [where, (k / total) * usPerRequest]));
  return { total, share: (name) => (counts.get(name) ?? 0) / Math.max(1, total), topOthers, detailUs };
}


// bench/workers-shared.ts
import { job, readTable, run, sinks, sources } from "weir";

// bench/words.ts
function distinctWords(count) {
  let seed = 625341585;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const words = /* @__PURE__ */ new Set();
  while (words.size < count) {
    let w = "";
    for (let i = 0; i < 8; i++) w += String.fromCharCode(97 + next() % 26);
    words.add(w);
  }
  return [...words];
}

// bench/workers-shared.ts
var DISTINCT_KEYS = 1e3;
var KEYS = distinctWords(DISTINCT_KEYS);
var makeRecord = (n) => ({ k: KEYS[n % DISTINCT_KEYS], v: 1 + n % 10, t: n });
function exchangeParams(query) {
  return {
    name: query.get("name") ?? "exchange",
    records: Number(query.get("records") ?? 2e6),
    sinkBusyUs: Number(query.get("sinkBusyUs") ?? 0),
    probe: query.get("probe") ?? void 0
  };
}
function threadHeap() {
  const proc = globalThis.process;
  if (typeof proc?.memoryUsage === "function") {
    const m = proc.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss };
  }
  const memory = globalThis.performance?.memory;
  return { heapUsed: memory?.usedJSHeapSize, rss: void 0 };
}
function slowSink(busyUs, probe) {
  return {
    kind: "weir.sink",
    name: "slow",
    guarantee: "at-least-once",
    createWriter: (ctx) => {
      const channel = probe !== void 0 && typeof BroadcastChannel === "function" ? new BroadcastChannel(probe) : void 0;
      let records = 0;
      let lastReport = 0;
      const report = () => {
        const at = Date.now();
        lastReport = at;
        channel?.postMessage({ subtask: ctx.subtaskIndex, at, records, ...threadHeap() });
      };
      return {
        write() {
          const end = performance.now() + busyUs / 1e3;
          while (performance.now() < end) ;
          if ((++records & 255) === 0 && Date.now() - lastReport >= 100) report();
        },
        prepareCommit: () => {
          report();
          return void 0;
        },
        commit: async () => {
        }
      };
    }
  };
}
function buildExchangeJob(p) {
  return job(p.name, (env) => {
    const summed = env.fromSource(sources.sequence({ from: 0, to: p.records }), { uid: "numbers" }).map(makeRecord).keyBy((r) => r.k).sum("v");
    if (p.sinkBusyUs > 0) summed.sinkTo(slowSink(p.sinkBusyUs, p.probe), { uid: "slow" });
    else summed.sinkTo(sinks.table("sums", { key: "k" }), { uid: "sums" });
  });
}
var utf8 = new TextDecoder();

// bench/jobs/exchange.job.ts
var exchange_job_default = buildExchangeJob(exchangeParams(new URL(import.meta.url).searchParams));
export {
  exchange_job_default as default
};

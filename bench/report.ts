import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopDelay } from './common.js';
import type { EngineCaseResult } from './threadCases.js';

export interface CaseResult {
  ops: number;
  opsPerSec: number;
  cpuUsPerOp: number;
  cpuUs: number;
  wallMs: number;
  cpuPercent: number;
  loop: LoopDelay;
  serverCpuPercent: number | null;
  processSecs: number;
  /** Per-run figures when the case ran more than once. */
  runsUsPerOp?: number[];
}

export interface PaceResult extends CaseResult {
  rate: number;
  windows: number[];
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  serviceP50Ms: number;
  serviceP99Ms: number;
  errors: number;
}

export interface MemSnap {
  label: string;
  rows: number;
  secs: number;
  rssMb: number;
  heapUsedMb: number;
  rssAfterGcMb: number;
  heapUsedAfterGcMb: number;
}

/** Runs of the same load with 1 loader thread and with 2 (bench/threadCases.ts). */
export interface EngineRuns {
  one: EngineCaseResult[];
  two: EngineCaseResult[];
}

export type EnginePaceResult = EngineCaseResult & { rate: number; serverCpuPercent: number | null };

/** threads-real reads at one rate: the three sides, the tool's trickle writes and its CPU per read net of them. */
export interface ThreadsRealReads {
  rate: number;
  tool: CaseResult;
  base: CaseResult;
  split: CaseResult;
  /** Loader threads the tool's own default gives a run of these rates on the bench machine. */
  defaultThreads: number;
  trickleRowsPerSec: number;
  toolUsPerReadNet: number;
}

/** The tool's paced trickle writes on their own (2 threads): CPU per second and per row, beyond the idle tool's. */
export interface TrickleCost {
  usPerSec: number;
  usPerRow: number;
  /** The tool with 2 threads writing and reading nothing, in % of one core. */
  idleCpuPercent: number;
}

export interface BenchResults {
  machine: { nproc: number; cpuModel: string; memGb: number; node: string; java: string; cassandra: string; date: string };
  settings: { writeInflight: number; writeRate: Record<number, number>; warmupMs: number; measureMs: number; seedRows: number };
  writes: { batch: number; tool: CaseResult | null; base: CaseResult | null }[];
  reads: { rate: number; tool: CaseResult | null; base: CaseResult | null }[];
  pace: PaceResult[];
  /** The same pacing against an in-process client that answers at once: the loader alone. */
  paceFake: PaceResult[];
  /** Closed loop at 96 batches in flight, the JVM at normal priority and at nice 19. */
  saturate: (CaseResult & { mode: string; jvmNice: number })[];
  mem: { snaps: MemSnap[]; rowsPerSec: number; cpuUsPerRow: number; loop: LoopDelay; serverCpuPercent: number | null } | null;
  /** Writes against the fake client with the metrics endpoint off and on (scraped every second). */
  metrics?: { batch: number; rowsPerSec: number; inflight: number; on: CaseResult; off: CaseResult } | null;
  /** The loader alone (stand-in client): 1 loader thread vs 2. Absent in results from before issue 10. */
  threads?: { writes: EngineRuns; reads: EngineRuns } | null;
  /** 2 loader threads with real clients against the node, vs the bare-driver baseline; pacing with 2 threads. */
  threadsReal?: {
    /** Warm-up of every run of this case (longer than the others': each thread compiles its own code). */
    warmupMs?: number;
    /** base: the bare driver on one event loop; split: the bare driver in 2 worker threads, half the load each. */
    writes: { tool: CaseResult; base: CaseResult; split: CaseResult };
    trickle: TrickleCost;
    reads: ThreadsRealReads[];
    pace: EnginePaceResult[];
  } | null;
  durationSecs: number;
  /** Runs repeated because the node did not keep up with the offered rate (their figures are not in the tables). */
  repeatedRuns?: string[];
}

const f = (n: number | null | undefined, d = 1): string => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (a: CaseResult | null, b: CaseResult | null): string => (a && b && b.cpuUsPerOp > 0 ? `${(a.cpuUsPerOp / b.cpuUsPerOp).toFixed(2)}×` : '–');
const runs = (c: CaseResult | null): string => (c?.runsUsPerOp ? c.runsUsPerOp.map((x) => x.toFixed(1)).join(', ') : '–');
const loopCell = (c: CaseResult | null): string => (c ? `${f(c.loop.p50Ms)}/${f(c.loop.p99Ms)}/${f(c.loop.maxMs)}` : '–');
const met = (ok: boolean): string => (ok ? '**met**' : '**missed**');

/** Verdict on one pacing target: did the loader and server keep up, and if not, which gave out. */
export function paceVerdict(p: PaceResult): string {
  const worst = Math.min(...p.windows);
  const within = p.windows.every((w) => Math.abs(w - p.rate) <= p.rate * 0.01);
  if (within && p.lagP99Ms < 5) return 'keeps up';
  if (p.cpuPercent >= 90) return 'loader gives out (loader CPU ≈ 100% of its one thread)';
  if (p.errors > 0 || p.serviceP99Ms > 50 || (p.serverCpuPercent ?? 0) > 150) return 'server gives out (latency/timeouts rising, JVM busy)';
  if (!within) return `short by ${f(((p.rate - worst) / p.rate) * 100, 1)}% in the worst second`;
  return 'lag over 5 ms';
}

/** Totals over runs: ops/s over the summed wall time, CPU per op over the summed ops. */
function engineTotals(runs: EngineCaseResult[], op: 'row' | 'read') {
  const sum = (f: (r: EngineCaseResult) => number): number => runs.reduce((a, r) => a + f(r), 0);
  const ops = sum((r) => (op === 'row' ? r.rows : r.reads));
  const wallMs = sum((r) => r.wallMs);
  const cpuUs = sum((r) => r.cpuUs);
  const mainUs = sum((r) => (r.mainBusyPercent / 100) * r.wallMs * 1000);
  return {
    opsPerSec: (ops * 1000) / wallMs,
    usPerOp: ops > 0 ? cpuUs / ops : 0,
    cpuPercent: (cpuUs / (wallMs * 1000)) * 100,
    mainBusyPercent: (mainUs / (wallMs * 1000)) * 100,
    /** CPU per op outside the main thread's event loop (the loader threads, GC and the driver's own threads). */
    workerUsPerOp: ops > 0 ? (cpuUs - mainUs) / ops : 0,
    runsOps: runs.map((r) => (op === 'row' ? r.rowsPerSec : r.readsPerSec)),
    runsUs: runs.map((r) => (op === 'row' ? r.cpuUsPerRow : r.cpuUsPerRead)),
    loopP99: Math.max(0, ...runs.map((r) => r.loop.p99Ms)),
  };
}

function renderThreads(r: NonNullable<BenchResults['threads']>, out: string[]): void {
  out.push('## Loader threads: the loader alone (issue 10)', '');
  out.push(
    'The run\'s LoadEngine driven as `run.ts` drives it (Recorder on the main thread, an interval closed in every thread every 5 s,',
    'a phase change every 10 s), every request answered by the in-process stand-in client (src/local/instantClient.ts): no driver,',
    'no server, no JVM. **1 thread** = InProcessLoad (the whole load on the main thread, as `SCY_LOADER_THREADS=1`); **2 threads** =',
    'ThreadedLoad (2 worker threads, one shared in-flight limit and read schedule; the main thread only collects and merges).',
    'Runs in the order 1, 2, 2, 1 per round; totals over the runs. CPU is the whole process\'s (all threads, GC included) per',
    'operation; CPU % is of one core (2 cores = 200%); "main busy" is the main thread\'s event-loop utilization.',
    '**Writes**: batch 30, closed loop, 8 writer loops, in-flight cap 1,024, no reads; the stand-in answers in a microtask.',
    '**Reads**: open loop at 2,000,000 reads/s, far above what 2 threads can send, so each thread sends as fast as it can',
    '(a saturated open loop is a closed loop bounded by the readers\' 4 × 512 in flight per thread); the stand-in answers in the',
    'next event-loop turn, as a socket reply would (answered in microtasks, a thread behind its schedule would never yield to its',
    'timers). Readers read only acknowledged rows, so writes trickle alongside: one batch of 30 in flight, each answered after',
    '100 ms (~300 rows/s, counted in the CPU).',
    '',
  );
  out.push('| load | threads | ops/s | µs CPU/op | CPU % | main busy % | runs ops/s | runs µs/op | loop p99 ms (worst run) |');
  out.push('|---|---:|---:|---:|---:|---:|---|---|---:|');
  const rows: [string, EngineRuns, 'row' | 'read'][] = [['rows, batch 30', r.writes, 'row'], ['reads', r.reads, 'read']];
  const targets: string[] = [];
  const paper: string[] = [];
  for (const [label, runsOf, op] of rows) {
    const one = engineTotals(runsOf.one, op);
    const two = engineTotals(runsOf.two, op);
    for (const [n, t] of [[1, one], [2, two]] as const) {
      out.push(
        `| ${label} | ${n} | ${int(t.opsPerSec)} | ${f(t.usPerOp, 2)} | ${f(t.cpuPercent, 0)} | ${f(t.mainBusyPercent, 0)} | ${t.runsOps.map(int).join(', ')} | ` +
          `${t.runsUs.map((x) => f(x, 2)).join(', ')} | ${f(t.loopP99)} |`,
      );
    }
    const speedup = two.opsPerSec / one.opsPerSec;
    const cost = two.usPerOp / one.usPerOp;
    targets.push(`| ${label}: 2-thread throughput ≥ 1.7 × 1-thread | ${speedup.toFixed(2)}× (${int(two.opsPerSec)} vs ${int(one.opsPerSec)}/s) | ${met(speedup >= 1.7)} |`);
    targets.push(`| ${label}: CPU per op with 2 threads ≤ 1.10 × with 1 | ${cost.toFixed(2)}× (${f(two.usPerOp, 2)} vs ${f(one.usPerOp, 2)} µs) | ${met(cost <= 1.1)} |`);
    const ceiling = 1e6 / two.workerUsPerOp;
    const main = two.mainBusyPercent / 100;
    paper.push(
      `- **${label}**: with 2 threads, ${f(two.workerUsPerOp, 2)} µs of CPU per op outside the main thread, so one loader thread with a core to`,
      `  itself tops out near **${int(ceiling)}/s**; the main thread was busy ${f(two.mainBusyPercent, 1)} % of one core. On N cores (N loader threads`,
      `  by default, sharing the cores with the main thread): about (N − ${f(main, 2)}) × ${int(ceiling)}/s — ` +
        [4, 8, 16, 32].map((n) => `${n} cores ≈ ${int((n - main) * ceiling)}/s`).join(', ') + '.',
    );
  }
  out.push('');
  out.push('| target (issue 10, loader alone) | measured | |', '|---|---|---|', ...targets, '');
  out.push('How it scales past 2 cores, on paper (from the per-thread cost above; not measured past 2):', '', ...paper);
  out.push(
    '',
    'This assumes each added thread costs what each of these two did: the shared in-flight limit and read schedule are one',
    'atomic operation per batch or read on shared memory, whose contention grows with the threads; memory bandwidth and the',
    'GC threads are shared too. With the real driver a read costs ~100–130 µs and a row ~15–20 µs (tables above), so against a',
    'real cluster a thread tops out far lower and these ceilings are the loader\'s own headroom, not the tool\'s rate.',
    '',
  );
}

function renderThreadsReal(r: NonNullable<BenchResults['threadsReal']>, inflight: number, out: string[]): void {
  out.push('## Loader threads against the real node (issue 10)', '');
  const w = r.writes;
  const qw = w.tool.cpuUsPerOp / w.base.cpuUsPerOp;
  const rates = r.reads.map((rd) => `${int(rd.rate)}/s`).join(' and ');
  out.push(
    'The tool with **2 loader threads** (ThreadedLoad, a `cassandra-driver` client in each) against the bench\'s one node, next to',
    'the bare-driver baseline on one event loop ("base") and the same bare driver split over 2 worker threads, half the load',
    'each ("split": what splitting costs the driver itself), in the order base, tool, split, split, tool, base per round.',
    '**Writes**: batch 30, the same offered',
    `rate as the writes table above, at most ${inflight} batches in flight for all: the baselines behind the bench\'s rate gate, the`,
    `tool on its own open-loop write schedule across both threads (\`SCY_WRITE_ROWS_PER_SEC\`). **Reads**: paced at ${rates}`,
    `(the tool's own default runs these rates on ${r.reads.map((rd) => `${rd.defaultThreads} thread${rd.defaultThreads === 1 ? '' : 's'}`).join(' and ')} here, \`loaderThreadsChoice\`);`,
    `the tool reads only rows it wrote, so its writes trickle, paced (${r.reads.map((rd) => int(rd.trickleRowsPerSec)).join(' and ')} rows/s here). Their CPU, measured in this run as`,
    `the tool writing them and reading nothing less the tool doing neither (${f(r.trickle.usPerSec / 1e4, 1)} % of a core, ${f(r.trickle.usPerRow, 0)} µs a row; the idle tool`,
    `itself, 2 threads with their intervals and probes, ${f(r.trickle.idleCpuPercent, 1)} %), is taken out of the reads' ("net"); the raw figure is kept beside it.`,
    ...(r.warmupMs
      ? [`Each run warms up ${r.warmupMs / 1000} s before its measured span: every thread is an isolate that compiles its hot code on its own.`]
      : []),
    '',
  );
  out.push(
    '| load | tool µs/op | base µs/op | split µs/op | tool ÷ base | split ÷ base | tool ÷ split | tool runs | base runs | split runs | tool ops/s | base ops/s | split ops/s | CPU % tool/base/split | server CPU % tool/base/split |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const row = (load: string, tool: number, c: { tool: CaseResult; base: CaseResult; split: CaseResult }, d: number, runsNote = ''): void => {
    const { base, split } = c;
    out.push(
      `| ${load} | ${f(tool, d)} | ${f(base.cpuUsPerOp, d)} | ${f(split.cpuUsPerOp, d)} | ${f(tool / base.cpuUsPerOp, 2)}× | ${ratio(split, base)} | ${f(tool / split.cpuUsPerOp, 2)}× | ` +
        `${runs(c.tool)}${runsNote} | ${runs(base)} | ${runs(split)} | ${int(c.tool.opsPerSec)} | ${int(base.opsPerSec)} | ${int(split.opsPerSec)} | ` +
        `${f(c.tool.cpuPercent, 0)}/${f(base.cpuPercent, 0)}/${f(split.cpuPercent, 0)} | ${f(c.tool.serverCpuPercent, 0)}/${f(base.serverCpuPercent, 0)}/${f(split.serverCpuPercent, 0)} |`,
    );
  };
  row('rows, batch 30', w.tool.cpuUsPerOp, w, 2);
  for (const rd of r.reads) {
    row(`reads ${int(rd.rate)}/s, net of the trickle writes`, rd.toolUsPerReadNet, rd, 1, ' (raw)');
    row(`reads ${int(rd.rate)}/s, raw (trickle writes included)`, rd.tool.cpuUsPerOp, rd, 1);
  }
  out.push('');
  out.push('| target (issue 10, real node, 2 threads) | measured | |', '|---|---|---|');
  out.push(`| client CPU per row (batch 30) ≤ 1.10 × baseline | ${qw.toFixed(2)}× | ${met(qw <= 1.1)} |`);
  for (const rd of r.reads) {
    const qr = rd.toolUsPerReadNet / rd.base.cpuUsPerOp;
    out.push(`| client CPU per read at ${int(rd.rate)}/s ≤ 1.10 × baseline (net) | ${qr.toFixed(2)}× | ${met(qr <= 1.1)} |`);
  }
  out.push(
    `| (for reading the lines above) the bare driver's own cost of the split: split ÷ base | rows ${ratio(w.split, w.base)}, reads ${r.reads.map((rd) => `${ratio(rd.split, rd.base)} at ${int(rd.rate)}/s`).join(', ')} | not a target |`,
  );
  const sw = w.tool.cpuUsPerOp / w.split.cpuUsPerOp;
  const sr = r.reads.map((rd) => rd.toolUsPerReadNet / rd.split.cpuUsPerOp);
  out.push(
    `| the same against the bare driver in the same 2 threads (tool ÷ split) ≤ 1.10 | rows ${sw.toFixed(2)}×, reads ${sr.map((q, i) => `${q.toFixed(2)}× at ${int(r.reads[i]!.rate)}/s`).join(', ')} (net) | ${met(sw <= 1.1 && sr.every((q) => q <= 1.1))} |`,
  );
  const kept = r.pace.filter((p) => p.windows!.every((x) => Math.abs(x - p.rate) <= p.rate * 0.01));
  out.push(`| reads within 1 % of target in every second while the server keeps up | within 1 % at ${kept.map((p) => int(p.rate)).join(', ') || 'none'} of ${r.pace.map((p) => int(p.rate)).join(', ')}/s | see below |`);
  out.push('');
  out.push(
    'Pacing with 2 threads on one schedule (the same targets as the pacing table above, paced trickle writes alongside). Achieved =',
    'reads completed in each 1 s interval, counted by the tool\'s own recorder (an interval boundary drawn in both threads every',
    'second); response = from the due time, service = from the send.',
    '',
  );
  out.push('| target/s | worst second | best second | worst vs target | response p99 ms | service p50/p99 ms | loader CPU % | server CPU % | errors | verdict |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const p of r.pace) {
    const worst = Math.min(...p.windows!);
    const best = Math.max(...p.windows!);
    const within = p.windows!.every((x) => Math.abs(x - p.rate) <= p.rate * 0.01);
    const verdict = within
      ? 'keeps up'
      : p.readErrors > 0 || p.serviceP99Ms > 50 || (p.serverCpuPercent ?? 0) > 150
        ? 'server gives out (latency/timeouts rising, JVM busy)'
        : p.cpuPercent >= 180
          ? 'loader gives out (both cores busy)'
          : `short by ${f(((p.rate - worst) / p.rate) * 100, 1)}% in the worst second`;
    out.push(
      `| ${int(p.rate)} | ${int(worst)} | ${int(best)} | ${f(((worst - p.rate) / p.rate) * 100, 2)}% | ${f(p.responseP99Ms, 2)} | ${f(p.serviceP50Ms, 2)}/${f(p.serviceP99Ms, 2)} | ` +
        `${f(p.cpuPercent, 0)} | ${f(p.serverCpuPercent, 0)} | ${p.readErrors} | ${verdict} |`,
    );
  }
  out.push('');
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    'Generated by `npm run bench` (bench/bench.ts): one local Apache Cassandra node started by the project\'s own cluster',
    'manager, every case in a fresh `node` process so CPU (user+system, `process.cpuUsage`) and memory are that loader\'s',
    'alone. Raw figures: `bench/results.json`. The **baseline** is a minimal `cassandra-driver` loop (prepared statement,',
    'unlogged batch, plain `Promise.all` concurrency) with the same driver options and the same row content (`rowValues`),',
    'so only the tool\'s machinery differs: Writers + AIMD limiter + id ledger + Recorder (HDR histograms, phase tagging,',
    'status line every 5 s, phase change every 10 s, LoaderProbe), or Readers + open-loop Pacer + row verification.',
    '',
  );
  out.push('## Machine', '');
  out.push('| | |', '|---|---|');
  out.push(`| date | ${m.date} |`, `| nproc | ${m.nproc} |`, `| CPU | ${m.cpuModel} |`, `| memory | ${f(m.memGb, 1)} GB |`);
  out.push(`| node | ${m.node} |`, `| java | ${m.java} |`, `| Cassandra | ${m.cassandra} (one node, 1 GB heap, sharing the cores with the loader) |`);
  out.push(`| bench duration | ${f(r.durationSecs / 60, 1)} min |`);
  const rep = r.repeatedRuns ?? [];
  out.push(`| runs repeated: the node did not keep up (under 95 % of the offered rate) | ${rep.length ? rep.join('; ') : 'none'} |`, '');

  const w30 = r.writes.find((w) => w.batch === 30);
  const rd = r.reads[0];
  const pacesOk = r.pace.filter((p) => paceVerdict(p) === 'keeps up');
  const snaps = r.mem?.snaps ?? [];
  const s1 = snaps.find((s) => s.label === '1M rows');
  const sN = snaps[snaps.length - 1];
  out.push('## Targets (issue 6)', '');
  out.push('| target | measured | |', '|---|---|---|');
  if (w30?.tool && w30.base) {
    const q = w30.tool.cpuUsPerOp / w30.base.cpuUsPerOp;
    out.push(`| client CPU per written row at batch 30 ≤ 1.10 × baseline | ${q.toFixed(2)}× (${f(w30.tool.cpuUsPerOp, 2)} vs ${f(w30.base.cpuUsPerOp, 2)} µs/row) | ${met(q <= 1.1)} |`);
  }
  if (rd?.tool && rd.base) {
    const q = rd.tool.cpuUsPerOp / rd.base.cpuUsPerOp;
    out.push(`| client CPU per read ≤ 1.10 × baseline (${int(rd.rate)}/s) | ${q.toFixed(2)}× (${f(rd.tool.cpuUsPerOp, 1)} vs ${f(rd.base.cpuUsPerOp, 1)} µs/read) | ${met(q <= 1.1)} |`);
  }
  if (r.pace.length) {
    const kept = r.pace.filter((p) => p.windows.every((w) => Math.abs(w - p.rate) <= p.rate * 0.01));
    const lagOk = r.pace.filter((p) => p.lagP99Ms < 5);
    out.push(`| reads within 1% of target in every second while the server keeps up | targets met: ${kept.map((p) => int(p.rate)).join(', ') || 'none'} of ${r.pace.map((p) => int(p.rate)).join(', ')}/s | see pacing table |`);
    out.push(`| schedule lag p99 < 5 ms | under 5 ms at ${lagOk.map((p) => int(p.rate)).join(', ') || 'none'}/s | see pacing table |`);
    void pacesOk;
  }
  if (s1 && sN && sN !== s1) {
    const q = sN.rssMb / s1.rssMb;
    out.push(`| RSS after ${sN.label} ≤ 1.10 × after 1M | ${q.toFixed(2)}× (${f(sN.rssMb, 0)} vs ${f(s1.rssMb, 0)} MB) | ${met(q <= 1.1)} |`);
  }
  out.push('');

  out.push('## Writes: client CPU per written row', '');
  out.push(
    `Fixed offered load, the same for both: \`client.batch\` is held to a fixed number of rows per second by one shared`,
    `schedule wrapped around it in both processes (${Object.entries(r.settings.writeRate).map(([b, n]) => `batch ${b}: ${int(n)} rows/s`).join(', ')}),`,
    `at most ${r.settings.writeInflight} batches in flight (tool: AIMD limiter cap ${r.settings.writeInflight}, 8 writer loops; baseline: ${r.settings.writeInflight} loops in \`Promise.all\`).`,
    `Each pair runs base, tool, tool, base (two such rounds for batch 30, three for reads) so drift in the shared machine's load falls on both;`,
    `figures are totals over the runs, the "runs" columns list each run's µs/row. ${r.settings.warmupMs / 1000} s warm-up, ${r.settings.measureMs / 1000} s measured per run. CPU % is of one core; loop = event-loop delay (monitorEventLoopDelay at 10 ms resolution, minus those 10 ms: an idle loop reads 0).`,
    '',
  );
  out.push('| batch | tool µs/row | baseline µs/row | ratio | tool runs | base runs | tool rows/s | baseline rows/s | tool CPU % | base CPU % | tool loop p50/p99/max ms | base loop p50/p99/max ms | server CPU % (tool/base) |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of r.writes) {
    const t = w.tool;
    const b = w.base;
    out.push(
      `| ${w.batch} | ${f(t?.cpuUsPerOp, 2)} | ${f(b?.cpuUsPerOp, 2)} | ${ratio(t, b)} | ${runs(t)} | ${runs(b)} | ${t ? int(t.opsPerSec) : '–'} | ${b ? int(b.opsPerSec) : '–'} | ${f(t?.cpuPercent, 0)} | ${f(b?.cpuPercent, 0)} | ` +
        `${loopCell(t)} | ${loopCell(b)} | ${f(t?.serverCpuPercent, 0)}/${f(b?.serverCpuPercent, 0)} |`,
    );
  }
  out.push('');

  out.push('## Reads: client CPU per read', '');
  out.push('Both paced at the same rate against the seeded rows. The tool verifies every row it reads (re-derives the row from its id and compares 15 columns); the baseline only reads.', '');
  out.push('| reads/s | tool µs/read | baseline µs/read | ratio | tool runs | base runs | tool achieved/s | base achieved/s | tool CPU % | base CPU % | tool loop p50/p99/max ms | base loop p50/p99/max ms |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.reads) {
    const t = x.tool;
    const b = x.base;
    out.push(
      `| ${int(x.rate)} | ${f(t?.cpuUsPerOp, 1)} | ${f(b?.cpuUsPerOp, 1)} | ${ratio(t, b)} | ${runs(t)} | ${runs(b)} | ${t ? int(t.opsPerSec) : '–'} | ${b ? int(b.opsPerSec) : '–'} | ${f(t?.cpuPercent, 0)} | ${f(b?.cpuPercent, 0)} | ` +
        `${loopCell(t)} | ${loopCell(b)} |`,
    );
  }
  out.push('');

  out.push('## Read pacing accuracy', '');
  out.push(
    'The tool\'s Readers (one dispatcher sends in slot order, so the n-th request sent is the n-th slot taken) at each target. Achieved = reads',
    'completed in each 1-second window of the measured span; lag = send time − due time. Loader CPU is of one core; server',
    'CPU is the Cassandra JVM\'s (of one core; 2 cores = 200%).',
    '',
  );
  const paceTable = (rows: PaceResult[], withServer: boolean): void => {
    out.push('| target/s | worst second | best second | worst vs target | lag p50 ms | lag p99 ms | lag max ms | service p50/p99 ms | loader CPU % | server CPU % | loop p99 ms | verdict |');
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const p of rows) {
      const worst = Math.min(...p.windows);
      const best = Math.max(...p.windows);
      out.push(
        `| ${int(p.rate)} | ${int(worst)} | ${int(best)} | ${f(((worst - p.rate) / p.rate) * 100, 2)}% | ${f(p.lagP50Ms, 2)} | ${f(p.lagP99Ms, 2)} | ${f(p.lagMaxMs, 1)} | ${f(p.serviceP50Ms, 2)}/${f(p.serviceP99Ms, 2)} | ` +
          `${f(p.cpuPercent, 0)} | ${withServer ? f(p.serverCpuPercent, 0) : '–'} | ${f(p.loop.p99Ms, 1)} | ${paceVerdict(p)} |`,
      );
    }
    out.push('');
  };
  paceTable(r.pace, true);
  if (r.paceFake.length) {
    out.push('The same Readers and Pacer against an in-process client that answers at once (no driver, no server, no JVM', 'competing for the cores): what the loader alone can pace.', '');
    paceTable(r.paceFake, false);
  }

  if (r.saturate.length) {
    out.push('## Event-loop delay with the server saturated', '');
    out.push(
      'Closed loop at the tool\'s default 96 batches in flight, batch 30, no rate gate: the node is saturated and the JVM',
      'competes with the loader for the 2 cores. Then the same with the JVM\'s scheduler group (Linux autogroup) at nice 19.',
      '',
    );
    out.push('| loader | JVM nice | rows/s | loader CPU % | µs/row | loop p50 ms | loop p99 ms | loop max ms | server CPU % |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const x of r.saturate) {
      out.push(`| ${x.mode === 'write-tool' ? 'tool' : 'baseline'} | ${x.jvmNice} | ${int(x.opsPerSec)} | ${f(x.cpuPercent, 0)} | ${f(x.cpuUsPerOp, 2)} | ${f(x.loop.p50Ms)} | ${f(x.loop.p99Ms)} | ${f(x.loop.maxMs)} | ${f(x.serverCpuPercent, 0)} |`);
    }
    out.push('');
  }

  if (r.metrics) {
    const m = r.metrics;
    out.push('## Metrics endpoint: client CPU per row with /metrics on and scraped', '');
    out.push(
      `The tool's writers against the in-process fake client (no driver, no server, so the loader's own cost is all there is),`,
      `batch ${m.batch}, ${int(m.rowsPerSec)} rows/s offered, ≤ ${m.inflight} in flight; "on" serves /metrics and another process scrapes it every`,
      'second (Prometheus at its fastest usual interval). Runs off, on, on, off (ABBA rounds); "runs" list each run\'s µs/row.',
      '',
    );
    out.push('| endpoint | µs/row | runs | rows/s | CPU % | loop p50/p99/max ms |');
    out.push('|---|---:|---:|---:|---:|---:|');
    for (const [name, c] of [['off', m.off], ['on, scraped every 1 s', m.on]] as const) {
      out.push(`| ${name} | ${f(c.cpuUsPerOp, 3)} | ${runs(c)} | ${int(c.opsPerSec)} | ${f(c.cpuPercent, 0)} | ${loopCell(c)} |`);
    }
    out.push('', `On / off: ${ratio(m.on, m.off)}.`, '');
  }

  if (r.mem) {
    out.push('## Memory', '');
    out.push(
      '**This measures the loader\'s own memory, not the driver\'s**: Writers + id ledger + Recorder + Readers (1,000 reads/s,',
      'verified, `pickRecent`) with the default settings (8 writers, batches 10–50, 96 in flight, id pool 2M) against an',
      'in-process fake client whose `batch()`/`execute()` resolve at once; 10M rows against one Cassandra node on 2 cores',
      `would take too long. ${int(r.mem.rowsPerSec)} rows/s, ${f(r.mem.cpuUsPerRow, 2)} µs CPU per row (row building + machinery, no driver).`,
      '',
    );
    out.push('| point | rows acknowledged | at s | RSS MB | heapUsed MB | RSS after gc MB | heapUsed after gc MB |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const s of r.mem.snaps) {
      out.push(`| ${s.label} | ${int(s.rows)} | ${f(s.secs, 1)} | ${f(s.rssMb, 0)} | ${f(s.heapUsedMb, 1)} | ${f(s.rssAfterGcMb, 0)} | ${f(s.heapUsedAfterGcMb, 1)} |`);
    }
    out.push('');
  }

  if (r.threads) renderThreads(r.threads, out);
  if (r.threadsReal) renderThreadsReal(r.threadsReal, r.settings.writeInflight, out);

  const notes = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'NOTES.md');
  if (existsSync(notes)) out.push(readFileSync(notes, 'utf8').trim(), '');
  return out.join('\n');
}

// npm run bench: starts one local Cassandra node, then runs each case in a fresh worker process and writes
// BENCHMARKS.md. Flags: --external (use a node already listening on 127.0.0.1:9042), --quick (short cases),
// --only=writes,reads,pace,saturate,mem,metrics,threads,threads-real (a subset; mem, metrics and threads need no
// Cassandra), --out=FILE (default BENCHMARKS.md), --prof (each tool case under
// --cpu-prof, profiles in $TMPDIR/bench-prof/).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { clientOptions } from '../src/db/connect.js';
import { ensureSchema } from '../src/db/schema.js';
import { LocalCluster } from '../src/local/cassandra.js';
import { createLogger } from '../src/log.js';
import { benchConfig, KEYSPACE, sleep, TABLE } from './common.js';
import { EXTERNAL_PID_FILE } from './cluster.js';
import { loaderThreads } from '../src/run/loadFor.js';
import { renderMarkdown, type BenchResults, type CaseResult, type EnginePaceResult, type EngineRuns, type ThreadsRealReads, type TrickleCost } from './report.js';
import type { EngineCaseArgs, EngineCaseResult } from './threadCases.js';
import type { WorkerArgs } from './worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
const external = flag('external') !== undefined;
const quick = flag('quick') !== undefined;
const prof = flag('prof') !== undefined;
const only = new Set((flag('only') ?? 'writes,reads,pace,saturate,mem,metrics,threads,threads-real').split(','));
/** Cases that run against an in-process stand-in client: no Cassandra node is started for them alone. */
const NO_CLUSTER = new Set(['mem', 'metrics', 'threads']);
const outFile = resolve(repo, flag('out') || 'BENCHMARKS.md');
const log = createLogger();

const SEED_ROWS = 200_000;
const WRITE_INFLIGHT = 32;
/** Offered write load per batch size (rows/s), the same for tool and baseline; one node on 2 cores absorbs it. */
const WRITE_RATE: Record<number, number> = { 1: 2000, 10: 12_000, 30: 12_000, 50: 12_000 };
/** The metrics case: batch and offered rows/s against the fake client (the loader alone, so any cost shows). */
const METRICS_CASE = { batch: 10, rowsPerSec: 50_000, inflight: WRITE_INFLIGHT };
const BATCHES = flag('batches') ? flag('batches')!.split(',').map(Number) : [1, 10, 30, 50];
const READ_RATES = [2000];
/** threads-real reads: the bench's read rate, then one the tool's default gives 2 threads here; rounds of each. */
const THREADS_REAL_READS: [rate: number, rounds: number][] = [[READ_RATES[0]!, quick ? 1 : 3], [5000, quick ? 1 : 2]];
const PACE_TARGETS = [500, 2000, 5000, 10_000, 20_000];
const warmupMs = quick ? 1500 : 3000;
const measureMs = quick ? 5000 : 12_000;
/**
 * threads-real's warm-up, for every side alike: each thread is an isolate of its own that compiles its hot code
 * on its own, at 1/N of the calls, so after 3 s the threads still ran much code unoptimized (2 tool threads cost
 * 1.2x the split bare driver per row after 3 s, 1.0-1.15x after 12 s). A run of the tool lasts hours.
 */
const threadWarmupMs = quick ? 6000 : 12_000;

let jvmPid: number | null = null;

function jvmCpuUs(): number | null {
  if (jvmPid === null) return null;
  try {
    const f = readFileSync(`/proc/${jvmPid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / 100) * 1e6;
  } catch {
    return null;
  }
}

/** The JVM's scheduler group priority (Linux autogroup: nice on the process alone has no effect across sessions). */
function setAutogroupNice(pid: number, nice: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return true;
  } catch {
    return false;
  }
}

function combine(runs: CaseResult[]): CaseResult & { runsUsPerOp: number[] } {
  const sum = (f: (r: CaseResult) => number): number => runs.reduce((a, r) => a + f(r), 0);
  const mean = (f: (r: CaseResult) => number): number => sum(f) / runs.length;
  const server = runs.every((r) => r.serverCpuPercent !== null) ? mean((r) => r.serverCpuPercent!) : null;
  return {
    ...runs[0]!,
    ops: sum((r) => r.ops),
    cpuUs: sum((r) => r.cpuUs),
    wallMs: sum((r) => r.wallMs),
    opsPerSec: mean((r) => r.opsPerSec),
    cpuUsPerOp: sum((r) => r.cpuUs) / Math.max(1, sum((r) => r.ops)),
    cpuPercent: mean((r) => r.cpuPercent),
    loop: { p50Ms: mean((r) => r.loop.p50Ms), p99Ms: mean((r) => r.loop.p99Ms), maxMs: Math.max(...runs.map((r) => r.loop.maxMs)) },
    serverCpuPercent: server,
    processSecs: sum((r) => r.processSecs),
    runsUsPerOp: runs.map((r) => r.cpuUsPerOp),
  };
}

async function runWorker<T>(a: WorkerArgs, nodeFlags: string[] = []): Promise<T & { serverCpuPercent: number | null; processSecs: number }> {
  const flags = [...nodeFlags];
  if (prof && a.mode !== 'seed') {
    mkdirSync(join(tmpdir(), 'bench-prof'), { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'bench-prof')}`, `--cpu-prof-name=${a.mode}-${a.batch ?? a.rate ?? a.engine?.threads ?? ''}.cpuprofile`);
  }
  const t0 = performance.now();
  const s0 = jvmCpuUs();
  const child = spawn(process.execPath, [...flags, join(here, 'worker.js'), JSON.stringify(a)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const wall = performance.now() - t0;
  const s1 = jvmCpuUs();
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`worker ${JSON.stringify(a)} exited ${code}: ${err.slice(-2000)}`);
  const warnings = err.split('\n').filter((l) => l.startsWith('warn')).slice(0, 3);
  if (warnings.length) log.warn(`${a.mode}: ${warnings.join(' | ')}`);
  return {
    ...(JSON.parse(line.slice(7)) as T),
    serverCpuPercent: s0 !== null && s1 !== null ? ((s1 - s0) / (wall * 1000)) * 100 : null,
    processSecs: wall / 1000,
  };
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const x = e as { stderr?: string };
    return (x.stderr ?? '').trim();
  }
}

// Issue 10: the run's LoadEngine with 1 loader thread (InProcessLoad, all on the main thread) and with 2
// (ThreadedLoad), driven as run.ts drives it (bench/threadCases.ts). See bench/NOTES.md for how to read them.
const engineArgs = (threads: number, env: Record<string, string>, rest: Partial<EngineCaseArgs> = {}): WorkerArgs => ({
  mode: 'engine',
  engine: { threads, env, warmupMs: quick ? 1500 : 2000, measureMs: quick ? 4000 : 6000, ...rest },
});
/** Batch 30, closed loop: 8 writer loops, an in-flight cap no thread reaches, no reads. */
const CLOSED_WRITES = { SCY_BATCH_MIN: '30', SCY_BATCH_MAX: '30', SCY_BATCH_INFLIGHT: '1024', SCY_READ_RPS: '0' };
/**
 * Reads only, as near as the tool allows (readers read acknowledged rows, so some writing must go on): one batch
 * of 30 in flight across all threads.
 */
const TRICKLE_WRITES = { SCY_BATCH_MIN: '30', SCY_BATCH_MAX: '30', SCY_BATCH_INFLIGHT: '1', SCY_WRITE_WORKERS: '2' };
/**
 * Against a real node a closed-loop trickle is not a trickle: one batch always in flight keeps the node's CPU
 * busy (~8,000 rows/s here), which the baseline's reads never face. The tool's own write schedule holds it to
 * a rate the node barely notices.
 */
const TRICKLE_ROWS_PER_SEC = 300;
const PACED_TRICKLE = { ...TRICKLE_WRITES, SCY_BATCH_INFLIGHT: '4', SCY_WRITE_ROWS_PER_SEC: String(TRICKLE_ROWS_PER_SEC) };
const engineLine = (what: string, r: EngineCaseResult): string =>
  `${what}, ${r.threads} thread${r.threads > 1 ? 's' : ''}: ${r.rowsPerSec.toFixed(0)} rows/s (${r.cpuUsPerRow.toFixed(2)} µs/row), ` +
  `${r.readsPerSec.toFixed(0)} reads/s (${r.cpuUsPerRead.toFixed(2)} µs/read), cpu ${r.cpuPercent.toFixed(0)}%`;

/** 1 vs 2 threads, ABBA (1, 2, 2, 1 per round). */
async function oneVsTwo(what: string, mk: (threads: number) => WorkerArgs, rounds: number): Promise<EngineRuns> {
  const runs: EngineRuns = { one: [], two: [] };
  for (const threads of Array.from({ length: rounds }, () => [1, 2, 2, 1]).flat()) {
    const r = await runWorker<EngineCaseResult>(mk(threads));
    (threads === 1 ? runs.one : runs.two).push(r);
    log.info(engineLine(what, r));
  }
  return runs;
}

/** The loader alone (stand-in client, no server): what 2 threads give over 1. */
async function threadsAlone(): Promise<NonNullable<BenchResults['threads']>> {
  const rounds = quick ? 1 : 2;
  // Writes: the stand-in answers in a microtask (the bench's in-process client as it always was).
  const writes = await oneVsTwo('threads, writes', (t) => engineArgs(t, CLOSED_WRITES, { standIn: {} }), rounds);
  // Reads: open loop far above what 2 threads can send, so each thread sends as fast as it can (saturated open
  // loop = closed loop with the readers' in-flight bound); answers come in the next turn, as a socket's would,
  // so a thread behind its schedule still yields to its timers. Batches take 100 ms: ~300 rows/s.
  const reads = await oneVsTwo(
    'threads, reads',
    (t) => engineArgs(t, { ...TRICKLE_WRITES, SCY_READ_RPS: '2000000' }, { standIn: { nextTurn: true, batchLatencyMs: 100 } }),
    rounds,
  );
  return { writes, reads };
}

/** A run that achieved less than this share of its offered rate measured a node that did not keep up. */
const KEPT_UP = 0.95;
/** Runs of one side repeated at most this many times for a node that did not keep up. */
const RETRIES = 2;
/** Runs repeated so far because the node did not keep up (shown in BENCHMARKS.md). */
const repeated: string[] = [];

/**
 * Waits, for at most 3 minutes, until the node runs and queues no flush or compaction. After a write case the
 * node compacts on the same 2 cores and disk, and reads started then stalled for whole runs (34 of 2,000 reads/s
 * after the threads-real writes, with a third of the CPU time in I/O wait).
 */
async function settleNode(after: string): Promise<void> {
  const client = new cassandra.Client(clientOptions(benchConfig()));
  const began = Date.now();
  try {
    await client.connect();
    let quiet = 0;
    while (quiet < 2 && Date.now() - began < 180_000) {
      const rs = await client.execute('SELECT name, active_tasks, pending_tasks FROM system_views.thread_pools');
      const busy = rs.rows.filter((r) => /Compaction|Flush/.test(String(r.get('name'))) && Number(r.get('active_tasks')) + Number(r.get('pending_tasks')) > 0);
      quiet = busy.length === 0 ? quiet + 1 : 0;
      await sleep(1000);
    }
    const secs = ((Date.now() - began) / 1000).toFixed(0);
    if (quiet < 2) log.warn(`node still flushing or compacting ${secs} s after ${after}; going on`);
    else log.info(`node settled after ${after}: ${secs} s until no flush or compaction ran`);
  } finally {
    await client.shutdown();
  }
}

/**
 * Runs the sides in the given order, `rounds` times (ABBA and the like, so drift in the machine's load falls on
 * every side alike); each side's figures are totals over its runs (CPU summed over operations summed). Every
 * side is offered `offeredPerSec`: a run that achieved under 95 % of it faced a node that did not keep up
 * (compaction or GC of the JVM on the same 2 cores: one run read 10 reads/s of 2,000), and its CPU per
 * operation measures the stall, not the client, so it is repeated once the node has settled, and said; one that
 * stalls on every try is left out of its side's figures (kept only when the side has no other run).
 */
async function interleaved<S extends string>(
  order: readonly S[],
  mk: (side: S) => WorkerArgs,
  what: string,
  op: 'row' | 'read',
  offeredPerSec: number,
  rounds: number,
  onEngine: (r: EngineCaseResult) => void = () => {},
): Promise<Record<S, CaseResult & { runsUsPerOp: number[] }>> {
  const runs = new Map<S, CaseResult[]>();
  const stalled = new Map<S, CaseResult[]>();
  for (const side of Array.from({ length: rounds }, () => order).flat()) {
    const a = mk(side);
    for (let attempt = 0; ; attempt++) {
      let r: CaseResult;
      let engine: Awaited<ReturnType<typeof runWorker<EngineCaseResult>>> | null = null;
      if (a.mode === 'engine') {
        engine = await runWorker<EngineCaseResult>(a);
        log.info(engineLine(what, engine));
        r = asCase(engine, op);
      } else {
        r = await runWorker<CaseResult>(a);
      }
      log.info(`${what} ${side}: ${r.cpuUsPerOp.toFixed(2)} µs/${op}, ${r.opsPerSec.toFixed(0)} ${op}s/s, cpu ${r.cpuPercent.toFixed(0)}%, loop p99 ${r.loop.p99Ms.toFixed(1)} ms`);
      if (r.opsPerSec < offeredPerSec * KEPT_UP) {
        const again = attempt < RETRIES;
        repeated.push(`${what} ${side}: ${r.opsPerSec.toFixed(0)} of ${offeredPerSec} ${op}s/s${again ? '' : ' (left out)'}`);
        log.warn(`${what} ${side}: the node did not keep up (${r.opsPerSec.toFixed(0)} of ${offeredPerSec} ${op}s/s); ${again ? 'run repeated' : 'left out'}`);
        if (again) {
          await settleNode(`${what} ${side}`);
          continue;
        }
        stalled.set(side, [...(stalled.get(side) ?? []), r]);
        break;
      }
      if (engine) onEngine(engine);
      runs.set(side, [...(runs.get(side) ?? []), r]);
      break;
    }
  }
  for (const [side, rs] of stalled) {
    if (runs.has(side)) continue;
    log.warn(`${what} ${side}: every run stalled; its figures are the stalled runs'`);
    runs.set(side, rs);
  }
  return Object.fromEntries([...runs].map(([side, rs]) => [side, combine(rs)])) as Record<S, CaseResult & { runsUsPerOp: number[] }>;
}

/** An engine run as a CaseResult of one kind of operation, for the ABBA pairs. */
function asCase(r: EngineCaseResult & { serverCpuPercent: number | null; processSecs: number }, op: 'row' | 'read'): CaseResult {
  const ops = op === 'row' ? r.rows : r.reads;
  return {
    ops,
    opsPerSec: op === 'row' ? r.rowsPerSec : r.readsPerSec,
    cpuUsPerOp: op === 'row' ? r.cpuUsPerRow : r.cpuUsPerRead,
    cpuUs: r.cpuUs,
    wallMs: r.wallMs,
    cpuPercent: r.cpuPercent,
    loop: r.loop,
    serverCpuPercent: r.serverCpuPercent,
    processSecs: r.processSecs,
  };
}

// Three sides per round: the bare driver on one event loop, the tool with 2 threads, and the bare driver split
// over 2 threads (what splitting the load costs the driver itself).
const THREADS_REAL_ORDER = ['base', 'tool', 'split', 'split', 'tool', 'base'] as const;

/** Reads paced at `rate` for the three sides of threadsReal; the tool's trickle writes cost what `trickle` measured. */
async function threadsRealReads(rate: number, rounds: number, trickle: TrickleCost): Promise<ThreadsRealReads> {
  // The tool reads only rows it wrote: its writes trickle (paced); their CPU, as measured on their own, is taken
  // out of the reads' (both figures are kept).
  const toolEnv = { ...PACED_TRICKLE, SCY_READ_RPS: String(rate) };
  const toolRuns: EngineCaseResult[] = [];
  const sides = await interleaved(
    THREADS_REAL_ORDER,
    (side) =>
      side === 'tool'
        ? engineArgs(2, toolEnv, { warmupMs: threadWarmupMs, measureMs })
        : { mode: 'read-base', rate, seedRows: SEED_ROWS, warmupMs: threadWarmupMs, measureMs, threads: side === 'split' ? 2 : 1 },
    `threads-real reads ${rate}/s`,
    'read',
    rate,
    rounds,
    (r) => toolRuns.push(r),
  );
  const readsDone = toolRuns.reduce((n, r) => n + r.reads, 0);
  const cpu = toolRuns.reduce((n, r) => n + r.cpuUs, 0);
  const wallSecs = toolRuns.reduce((n, r) => n + r.wallMs, 0) / 1000;
  return {
    rate,
    ...sides,
    defaultThreads: loaderThreads(benchConfig(toolEnv)),
    trickleRowsPerSec: toolRuns.reduce((n, r) => n + r.rowsPerSec, 0) / toolRuns.length,
    toolUsPerReadNet: readsDone > 0 ? (cpu - trickle.usPerSec * wallSecs) / readsDone : 0,
  };
}

/**
 * What the tool's paced trickle writes cost on their own, with 2 threads: the tool writing them and reading
 * nothing, less the tool doing neither (its intervals and probes), in the order idle, trickle, trickle, idle.
 * Taking the closed-loop writes' cost per row instead undercounts them 3-4x: 10 batches a second each pay a
 * timer wake, a permit and a socket write that 400 a second share.
 */
async function trickleCost(): Promise<TrickleCost> {
  const runs: Record<'idle' | 'trickle', EngineCaseResult[]> = { idle: [], trickle: [] };
  for (const side of ['idle', 'trickle', 'trickle', 'idle'] as const) {
    const env = side === 'idle' ? { SCY_WRITE_WORKERS: '0', SCY_READ_RPS: '0' } : { ...PACED_TRICKLE, SCY_READ_RPS: '0' };
    const r = await runWorker<EngineCaseResult>(engineArgs(2, env, { warmupMs: threadWarmupMs, measureMs }));
    runs[side].push(r);
    log.info(engineLine(`threads-real ${side === 'idle' ? 'idle (no writes, no reads)' : 'trickle writes alone'}`, r));
  }
  const perSec = (rs: EngineCaseResult[]): number => (rs.reduce((n, r) => n + r.cpuUs, 0) / rs.reduce((n, r) => n + r.wallMs, 0)) * 1000;
  const usPerSec = perSec(runs.trickle) - perSec(runs.idle);
  const rowsPerSec = runs.trickle.reduce((n, r) => n + r.rowsPerSec, 0) / runs.trickle.length;
  return { usPerSec, usPerRow: usPerSec / rowsPerSec, idleCpuPercent: perSec(runs.idle) / 1e4 };
}

/** The tool with 2 loader threads and real clients against the bench's node. */
async function threadsReal(): Promise<NonNullable<BenchResults['threadsReal']>> {
  const rounds = quick ? 1 : 2;
  // The same offered load as the single-thread writes table: the baseline's batch call behind the bench's rate
  // gate, the tool's threads on its own open-loop write schedule (SCY_WRITE_ROWS_PER_SEC), 32 in flight on both.
  const rowsPerSec = WRITE_RATE[30]!;
  const writes = await interleaved(
    THREADS_REAL_ORDER,
    (side) =>
      side === 'tool'
        ? engineArgs(2, { ...CLOSED_WRITES, SCY_BATCH_INFLIGHT: String(WRITE_INFLIGHT), SCY_WRITE_ROWS_PER_SEC: String(rowsPerSec) }, { warmupMs: threadWarmupMs, measureMs })
        : { mode: 'write-base', batch: 30, inflight: WRITE_INFLIGHT, rowsPerSec, warmupMs: threadWarmupMs, measureMs, threads: side === 'split' ? 2 : 1 },
    'threads-real writes batch 30',
    'row',
    rowsPerSec,
    rounds,
  );
  await settleNode('threads-real writes');
  const trickle = await trickleCost();
  // The bench's read rate, which the tool's default runs on one thread, and one its default gives 2 threads.
  const reads = [];
  for (const [rate, rounds] of THREADS_REAL_READS) reads.push(await threadsRealReads(rate, rounds, trickle));
  const pace: EnginePaceResult[] = [];
  for (const rate of PACE_TARGETS) {
    const r = await runWorker<EngineCaseResult>(
      engineArgs(2, { ...PACED_TRICKLE, SCY_READ_RPS: String(rate) }, { warmupMs: 2000, measureMs: quick ? 5000 : 10_000, perSecond: true }),
    );
    pace.push({ ...r, rate });
    log.info(`threads-real pace ${rate}/s: seconds ${Math.min(...r.windows!)}–${Math.max(...r.windows!)}, service p99 ${r.serviceP99Ms.toFixed(1)} ms, loader cpu ${r.cpuPercent.toFixed(0)}%, server cpu ${r.serverCpuPercent?.toFixed(0) ?? '?'}%`);
  }
  return {
    warmupMs: threadWarmupMs,
    writes,
    trickle,
    reads,
    pace,
  };
}

async function main(): Promise<void> {
  const began = Date.now();
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const results: BenchResults = {
    machine: {
      nproc: Number(sh('nproc', [])) || cpus().length,
      cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown',
      memGb: Number(/MemTotal:\s*(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 2 ** 20,
      node: process.version,
      java: (spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? '').split('\n')[0] || 'unknown',
      cassandra: 'unknown',
      date: new Date(began).toISOString(),
    },
    settings: { writeInflight: WRITE_INFLIGHT, writeRate: WRITE_RATE, warmupMs, measureMs, seedRows: SEED_ROWS },
    writes: [],
    reads: [],
    pace: [],
    paceFake: [],
    saturate: [],
    mem: null,
    metrics: null,
    threads: null,
    threadsReal: null,
    durationSecs: 0,
  };

  let cluster: LocalCluster | null = null;
  const cleanup = (): void => cluster?.killAllSync();
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const needsNode = [...only].some((o) => !NO_CLUSTER.has(o));
  try {
    if (only.has('threads')) results.threads = await threadsAlone();
    if (!external && needsNode) {
      cluster = new LocalCluster({ baseDir: join(repo, '.cache', 'clusters', 'bench'), clusterName: 'bench', heapMb: 1024, log });
      log.info('starting one local Cassandra node (waits for the machine-wide cluster lock if another run holds it)');
      await cluster.start(1);
      jvmPid = cluster.nodes()[0]?.pid ?? null;
    }
    if (external) {
      try {
        jvmPid = Number(readFileSync(EXTERNAL_PID_FILE, 'utf8')) || null;
      } catch {
        jvmPid = null;
      }
    }
    if (needsNode) {
      const client = new cassandra.Client(clientOptions(benchConfig()));
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local');
      results.machine.cassandra = String(rs.first()?.get('release_version') ?? 'unknown');
      await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
      await ensureSchema(client, { keyspace: KEYSPACE, table: TABLE, localDc: 'datacenter1', rf: 1 });
      await client.shutdown();
      const s = await runWorker<{ secs: number }>({ mode: 'seed', seedRows: SEED_ROWS });
      log.info(`seeded ${SEED_ROWS} rows in ${s.secs.toFixed(1)} s`);
      await settleNode('the seed');
    }

    const pair = (mk: (side: 'base' | 'tool') => WorkerArgs, what: string, unit: 'row' | 'read', offeredPerSec: number, rounds = 1) =>
      interleaved(['base', 'tool', 'tool', 'base'], mk, what, unit, offeredPerSec, rounds);
    if (only.has('writes')) {
      for (const batch of BATCHES) {
        const r = await pair((side) => ({ mode: `write-${side}`, batch, inflight: WRITE_INFLIGHT, rowsPerSec: WRITE_RATE[batch]!, warmupMs, measureMs }), `writes batch ${batch}`, 'row', WRITE_RATE[batch]!, batch === 30 && !quick ? 2 : 1);
        results.writes.push({ batch, ...r });
      }
      await settleNode('the write cases');
    }
    if (only.has('reads')) {
      for (const rate of READ_RATES) {
        const r = await pair((side) => ({ mode: `read-${side}`, rate, seedRows: SEED_ROWS, warmupMs, measureMs }), `reads ${rate}/s`, 'read', rate, quick ? 1 : 3);
        results.reads.push({ rate, ...r });
      }
    }
    if (only.has('pace')) {
      for (const rate of PACE_TARGETS) {
        const r = await runWorker<BenchResults['pace'][number]>({ mode: 'pace', rate, seedRows: SEED_ROWS, warmupMs: 2000, measureMs: quick ? 5000 : 10_000 });
        r.rate = rate;
        results.pace.push(r);
        const fake = await runWorker<BenchResults['pace'][number]>({ mode: 'pace', fake: true, rate, seedRows: SEED_ROWS, warmupMs: 2000, measureMs: quick ? 5000 : 10_000 });
        fake.rate = rate;
        results.paceFake.push(fake);
        log.info(`pace ${rate}/s, fake client: worst second ${Math.min(...fake.windows)}, lag p99 ${fake.lagP99Ms.toFixed(2)} ms, loader cpu ${fake.cpuPercent.toFixed(0)}%`);
        const worst = Math.min(...r.windows);
        log.info(`pace ${rate}/s: worst second ${worst}, lag p99 ${r.lagP99Ms.toFixed(2)} ms, loader cpu ${r.cpuPercent.toFixed(0)}%, server cpu ${r.serverCpuPercent?.toFixed(0) ?? '?'}%, service p99 ${r.serviceP99Ms.toFixed(1)} ms`);
      }
    }
    if (only.has('saturate') && jvmPid !== null) {
      // Closed loop at the tool's default 96 batches in flight (server saturated): the event-loop delay of tool
      // and baseline with the Cassandra JVM at normal priority, then with its scheduler group at nice 19.
      for (const jvmNice of [0, 19]) {
        if (!setAutogroupNice(jvmPid, jvmNice)) break;
        try {
          for (const mode of ['write-tool', 'write-base'] as const) {
            const r = await runWorker<CaseResult>({ mode, batch: 30, inflight: 96, warmupMs, measureMs: quick ? 5000 : 8000 });
            results.saturate.push({ mode, jvmNice, ...r });
            log.info(`saturated ${mode}, JVM nice ${jvmNice}: ${r.opsPerSec.toFixed(0)} rows/s, cpu ${r.cpuPercent.toFixed(0)}%, loop p50/p99/max ${r.loop.p50Ms.toFixed(1)}/${r.loop.p99Ms.toFixed(1)}/${r.loop.maxMs.toFixed(1)} ms`);
          }
        } finally {
          setAutogroupNice(jvmPid, 0);
        }
      }
    }
    if (only.has('threads-real')) results.threadsReal = await threadsReal();
    if (cluster) {
      await cluster.stop();
      cluster = null;
    }
    if (only.has('metrics')) {
      // Base = the endpoint off, tool = on and scraped every second; same fake client and offered load.
      const r = await pair(
        (side) => ({ mode: 'write-tool', fake: true, metrics: side === 'tool', ...METRICS_CASE, warmupMs, measureMs }),
        'metrics endpoint (base = off, tool = on)',
        'row',
        quick ? 1 : 3,
      );
      results.metrics = { ...METRICS_CASE, on: r.tool, off: r.base };
    }
    if (only.has('mem')) {
      const marks = quick ? [1_000_000, 3_000_000] : [1_000_000, 10_000_000];
      results.mem = await runWorker<NonNullable<BenchResults['mem']>>({ mode: 'mem', memRows: marks }, ['--expose-gc']);
      for (const s of results.mem.snaps) log.info(`mem ${s.label}: rss ${s.rssMb.toFixed(0)} MB heap ${s.heapUsedMb.toFixed(0)} MB (after gc: rss ${s.rssAfterGcMb.toFixed(0)} heap ${s.heapUsedAfterGcMb.toFixed(0)})`);
    }
  } finally {
    if (cluster) await cluster.stop();
  }
  results.durationSecs = (Date.now() - began) / 1000;
  results.repeatedRuns = repeated;
  const md = renderMarkdown(results);
  writeFileSync(outFile, md);
  writeFileSync(flag('out') ? outFile.replace(/\.md$/, '') + '.json' : join(repo, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write('\n' + md);
  log.info(`wrote ${outFile} in ${results.durationSecs.toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);

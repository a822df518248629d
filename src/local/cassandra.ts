// The local Cassandra cluster manager: one JVM per node, node i on 127.0.0.i with the default ports, started,
// grown (bootstrap), shrunk (decommission), killed and restarted one topology change at a time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, type Logger } from '../log.js';
import { nodeJvmArgs, nodeLayout, SEED_ADDRESS, writeNodeConfig, type NodeLayout } from './cassandraConfig.js';
import { DEFAULT_CASSANDRA_VERSION, defaultCacheDir, ensureInstalled, requireJava } from './cassandraInstall.js';
import { nodetool, NodetoolError, parseStatus, type RingEntry } from './nodetool.js';

export { ToolMissingError } from './cassandraInstall.js';
export type { RingEntry } from './nodetool.js';

export interface LocalNode {
  index: number;
  address: string;
  jmxPort: number;
  pid: number | null;
  running: boolean;
  dataDir: string;
}

export interface LocalClusterOptions {
  /** Per-cluster work dir: node dirs, configs, logs, pid files. */
  baseDir: string;
  /** Where the Cassandra classpath is cached; default <repo>/.cache/cassandra. */
  cacheDir?: string;
  version?: string;
  clusterName?: string;
  /** Heap per node (Xms = Xmx); default 512. */
  heapMb?: number;
  log?: Logger;
  startTimeoutMs?: number;
}

const READY_LINE = 'Starting listening for CQL clients';
const POLL_MS = 250;
const STOP_GRACE_MS = 20_000;
const NODETOOL_TIMEOUT_MS = 60_000;

interface NodeState {
  layout: NodeLayout;
  child: ChildProcess | null;
  pid: number | null;
  /** Resolves when the current JVM has exited. */
  exited: Promise<void>;
  removed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function portFree(host: string, port: number): Promise<string | null> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolvePromise(err.code ?? 'error'));
    server.listen(port, host, () => server.close(() => resolvePromise(null)));
  });
}

/** Waits a little: a JVM killed by the previous lock holder's exit handler may still be closing its sockets. */
async function waitPortFree(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await portFree(host, port);
    if (problem === null) return;
    if (Date.now() > deadline) {
      throw new Error(`${host}:${port} is not free (${problem}); is another Cassandra, or a node of another baseDir, still running?`);
    }
    await sleep(500);
  }
}

function portAccepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(2000, () => done(false));
  });
}

async function waitPortAccepting(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portAccepting(host, port))) {
    if (Date.now() > deadline) throw new Error(`${host}:${port} does not accept connections ${timeoutMs / 1000} s after the node said it serves CQL`);
    await sleep(200);
  }
}

// Every local cluster binds 127.0.0.x:9042/7000, so only one can run per machine. Clusters take turns through
// this lock file (holder pid and baseDir inside) instead of failing on a busy port.
const MACHINE_LOCK = join(tmpdir(), 'scylla-resize-test-cassandra.lock');
const MACHINE_LOCK_WAIT_MS = 15 * 60_000;

// Every cluster still holding JVMs; one set of process handlers serves them all.
const liveClusters = new Set<LocalCluster>();
let handlersInstalled = false;

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the one signal that needs no waiting to be sure.
  process.on('exit', () => {
    for (const c of liveClusters) c.killAllSync();
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      // An application with its own handler (the load tester drains in-flight requests on Ctrl+C) owns shutdown
      // and calls stop(); the 'exit' handler above is its backstop. Alone, this listener replaced Node's default
      // of exiting, so it kills the JVMs and exits as the default would have.
      if (process.listenerCount(signal) > 1) return;
      for (const c of liveClusters) c.killAllSync();
      process.exit(code);
    });
  }
}

export class LocalCluster {
  private readonly baseDir: string;
  private readonly cacheDir: string;
  private readonly version: string;
  private readonly clusterName: string;
  private readonly heapMb: number;
  private readonly log: Logger;
  private readonly startTimeoutMs: number;
  private readonly state = new Map<number, NodeState>();
  private libDir: string | null = null;
  /** Indexes never come back: a re-added node gets a fresh address and fresh directories. */
  private highestIndex = 0;
  private readonly stalePids: number[];
  private holdsMachineLock = false;

  constructor(opts: LocalClusterOptions) {
    this.baseDir = resolve(opts.baseDir);
    this.cacheDir = opts.cacheDir ?? defaultCacheDir();
    this.version = opts.version ?? DEFAULT_CASSANDRA_VERSION;
    this.clusterName = opts.clusterName ?? 'scylla-resize-test';
    this.heapMb = opts.heapMb ?? 512;
    this.log = (opts.log ?? createLogger()).child('cassandra');
    this.startTimeoutMs = opts.startTimeoutMs ?? 180_000;
    this.stalePids = this.killStale();
  }

  static ensureInstalled(opts: { cacheDir?: string; version?: string; log?: Logger } = {}): Promise<string> {
    return ensureInstalled(opts);
  }

  async start(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`cannot start ${count} nodes`);
    if (this.state.size > 0) throw new Error('this cluster was already started; stop() it and use a new LocalCluster');
    // A cached classpath skips the installer's tool checks, but the nodes still need java.
    requireJava();
    this.libDir = await ensureInstalled({ cacheDir: this.cacheDir, version: this.version, log: this.log });
    for (const pid of this.stalePids) await waitGone(pid, 10_000);
    await this.acquireMachineLock();
    await this.removeNodeDirs();
    try {
      // One at a time: concurrent bootstraps are refused by Cassandra, and the seed must be up first.
      for (let i = 1; i <= count; i++) await this.launch(++this.highestIndex);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The index the next addNode() takes: one past every index this cluster ever used, removed nodes included. */
  nextIndex(): number {
    return this.highestIndex + 1;
  }

  async addNode(): Promise<LocalNode> {
    this.requireStarted();
    const index = ++this.highestIndex;
    try {
      await this.launch(index);
    } catch (err) {
      // A half-bootstrapped node is not worth restarting in a test cluster; the next add takes a fresh index.
      const failed = this.state.get(index);
      if (failed) failed.removed = true;
      throw err;
    }
    const address = this.node(index).layout.address;
    await this.waitForRing(`${address} NORMAL and UP`, (ring) =>
      ring.some((e) => e.address === address && e.status === 'UP' && e.state === 'NORMAL'),
    );
    return this.describe(this.node(index));
  }

  async decommission(index?: number): Promise<void> {
    this.requireStarted();
    const target = index ?? this.highestRunningNonSeed();
    const node = this.node(target);
    if (node.layout.address === SEED_ADDRESS) throw new Error('refusing to decommission the seed node (127.0.0.1)');
    if (node.pid === null) throw new Error(`node ${target} is not running; restart it before decommissioning`);
    const started = Date.now();
    this.log.info(`decommissioning node ${target} (${node.layout.address})`);
    try {
      await this.nodetool(node, ['decommission']);
    } catch (err) {
      // Refused when the remaining nodes cannot hold a keyspace's RF; in a test cluster that is the point.
      if (!(err instanceof NodetoolError) || !/force/i.test(err.output)) throw err;
      this.log.warn(`node ${target}: ${err.message}; retrying with --force`);
      await this.nodetool(node, ['decommission', '--force']);
    }
    // A decommissioned JVM keeps running with nothing to do.
    await this.stopJvm(node, 'SIGTERM');
    node.removed = true;
    const address = node.layout.address;
    await this.waitForRing(`${address} gone`, (ring) => !ring.some((e) => e.address === address));
    this.log.info(`node ${target} left the ring in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  async kill(index: number): Promise<void> {
    const node = this.node(index);
    if (node.pid === null) return;
    this.log.info(`killing node ${index} (pid ${node.pid})`);
    await this.stopJvm(node, 'SIGKILL');
  }

  async restart(index: number): Promise<void> {
    this.requireStarted();
    const node = this.node(index);
    if (node.pid !== null) throw new Error(`node ${index} is still running; kill it first`);
    await this.launch(index);
  }

  async ring(): Promise<RingEntry[]> {
    const running = [...this.state.values()].filter((n) => n.pid !== null).sort((a, b) => a.layout.index - b.layout.index);
    if (running.length === 0) throw new Error('no running node to ask for the ring');
    let lastError: unknown;
    for (const node of running) {
      try {
        return parseStatus(await this.nodetool(node, ['status']));
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  nodes(): LocalNode[] {
    return [...this.state.values()].filter((n) => !n.removed).map((n) => this.describe(n));
  }

  contactPoints(): string[] {
    return [...this.state.values()].filter((n) => n.pid !== null).map((n) => n.layout.address);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.state.values()].map((n) => this.stopJvm(n, 'SIGKILL')));
    liveClusters.delete(this);
    this.releaseMachineLock();
  }

  /** For the process 'exit' handler: no awaiting possible there. */
  killAllSync(): void {
    for (const n of this.state.values()) {
      if (n.pid === null) continue;
      try {
        process.kill(n.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(this.pidFile(n.layout.index), { force: true });
    }
    this.releaseMachineLock();
  }

  private async acquireMachineLock(): Promise<void> {
    const deadline = Date.now() + MACHINE_LOCK_WAIT_MS;
    let announced = false;
    for (;;) {
      try {
        writeFileSync(MACHINE_LOCK, `${process.pid}\n${this.baseDir}\n`, { flag: 'wx' });
        this.holdsMachineLock = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: string[];
      try {
        holder = readFileSync(MACHINE_LOCK, 'utf8').split('\n');
      } catch {
        continue; // released between our two looks
      }
      const pid = Number(holder[0]);
      if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) {
        rmSync(MACHINE_LOCK, { force: true }); // its holder died without releasing it
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`another local cluster (${holder[1]}, pid ${pid}) held ${MACHINE_LOCK} for ${MACHINE_LOCK_WAIT_MS / 60_000} min`);
      }
      if (!announced) {
        this.log.info(`waiting for the local cluster in ${holder[1]} (pid ${pid}) to stop: all local clusters share 127.0.0.x:9042`);
        announced = true;
      }
      await sleep(1000);
    }
  }

  private releaseMachineLock(): void {
    if (!this.holdsMachineLock) return;
    this.holdsMachineLock = false;
    rmSync(MACHINE_LOCK, { force: true });
  }

  private node(index: number): NodeState {
    const n = this.state.get(index);
    if (!n || n.removed) throw new Error(`no node ${index} in this cluster (nodes: ${this.nodes().map((x) => x.index).join(', ') || 'none'})`);
    return n;
  }

  private describe(n: NodeState): LocalNode {
    const { index, address, jmxPort, dataDir } = n.layout;
    return { index, address, jmxPort, pid: n.pid, running: n.pid !== null, dataDir };
  }

  private requireStarted(): void {
    if (this.state.size === 0 || this.libDir === null) throw new Error('the cluster is not started; call start() first');
  }

  private highestRunningNonSeed(): number {
    const candidates = this.nodes().filter((n) => n.running && n.address !== SEED_ADDRESS);
    const last = candidates.at(-1);
    if (!last) throw new Error('no running non-seed node to decommission');
    return last.index;
  }

  private pidFile(index: number): string {
    return join(this.baseDir, `node${index}.pid`);
  }

  /**
   * Kills JVMs an earlier, interrupted run left behind in this baseDir. A pid file alone is not proof (pids are
   * reused), so the process must also name this baseDir on its command line.
   */
  private killStale(): number[] {
    if (!existsSync(this.baseDir)) return [];
    const killed: number[] = [];
    for (const file of readdirSync(this.baseDir).filter((f) => /^node\d+\.pid$/.test(f))) {
      const path = join(this.baseDir, file);
      const pid = Number(readFileSync(path, 'utf8').trim());
      const cmd = Number.isInteger(pid) && pid > 0 ? spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).stdout : '';
      if (cmd.includes(`-Dcassandra.storagedir=${join(this.baseDir, 'node')}`)) {
        this.log.warn(`killing node JVM ${pid} left over from an earlier run in ${this.baseDir}`);
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      }
      unlinkSync(path);
    }
    return killed;
  }

  private async removeNodeDirs(): Promise<void> {
    await mkdir(this.baseDir, { recursive: true });
    for (const entry of await readdir(this.baseDir)) {
      if (/^node\d+$/.test(entry)) await rm(join(this.baseDir, entry), { recursive: true, force: true });
    }
  }

  /** Starts (or restarts) node `index` and resolves once it serves CQL. */
  private async launch(index: number): Promise<void> {
    const libDir = this.libDir!;
    const layout = nodeLayout(this.baseDir, index);
    await waitPortFree(layout.address, 9042);
    await waitPortFree(layout.address, 7000);
    await waitPortFree('127.0.0.1', layout.jmxPort);
    await writeNodeConfig(layout, { clusterName: this.clusterName });
    const systemLog = join(layout.logDir, 'system.log');
    const mark = existsSync(systemLog) ? statSync(systemLog).size : 0;

    const out = openSync(join(layout.dir, 'output.log'), 'a');
    // Detached: a terminal's Ctrl+C reaches our process group only, so the application decides when nodes die.
    const child = spawn('java', nodeJvmArgs(layout, { libDir, heapMb: this.heapMb }), {
      cwd: layout.dir,
      stdio: ['ignore', out, out],
      detached: true,
    });
    closeSync(out);
    lowerSchedulingPriority(child.pid);
    // Neither the JVM nor its handle keeps this process alive; stop() or the exit handler ends the JVM.
    child.unref();
    const node: NodeState = {
      layout,
      child,
      pid: child.pid ?? null,
      removed: false,
      exited: new Promise<void>((res) => {
        child.once('exit', () => {
          if (node.child === child) {
            node.child = null;
            node.pid = null;
          }
          res();
        });
        child.once('error', () => res());
      }),
    };
    this.state.set(index, node);
    if (node.pid === null) throw new Error(`could not start java for node ${index}`);
    writeFileSync(this.pidFile(index), `${node.pid}\n`);
    liveClusters.add(this);
    installProcessHandlers();

    const started = Date.now();
    this.log.info(`starting node ${index} on ${layout.address} (pid ${node.pid}, JMX ${layout.jmxPort})`);
    try {
      await this.waitForLog(node, systemLog, mark);
      // The log line comes as the CQL listener is being bound; a client connecting in that instant is refused.
      await waitPortAccepting(layout.address, 9042, 30_000);
    } catch (err) {
      await this.stopJvm(node, 'SIGKILL');
      throw err;
    }
    this.log.info(`node ${index} serves CQL after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  private async waitForLog(node: NodeState, systemLog: string, mark: number): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let offset = mark;
    let carry = '';
    for (;;) {
      if (existsSync(systemLog)) {
        const fh = await open(systemLog, 'r');
        try {
          const { size } = await fh.stat();
          if (size > offset) {
            const buf = Buffer.alloc(size - offset);
            await fh.read(buf, 0, buf.length, offset);
            offset = size;
            const text = carry + buf.toString('utf8');
            if (text.includes(READY_LINE)) return;
            carry = text.slice(-READY_LINE.length);
          }
        } finally {
          await fh.close();
        }
      }
      if (node.pid === null) throw new Error(`node ${node.layout.index} exited during start-up: ${this.lastWords(node.layout)}`);
      if (Date.now() > deadline) {
        throw new Error(`node ${node.layout.index} did not serve CQL within ${this.startTimeoutMs / 1000} s: ${this.lastWords(node.layout)}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** The most telling line a dead or stuck node left: its last ERROR, else the last line of its output. */
  private lastWords(layout: NodeLayout): string {
    const read = (p: string): string[] => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);
    const errors = read(join(layout.logDir, 'system.log')).filter((l) => l.startsWith('ERROR'));
    const line = errors.at(-1) ?? read(join(layout.dir, 'output.log')).at(-1) ?? 'no log output';
    return `${line.slice(0, 300)} (logs in ${layout.dir})`;
  }

  private async stopJvm(node: NodeState, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const pid = node.pid;
    if (pid !== null) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
      const grace = signal === 'SIGTERM' ? STOP_GRACE_MS : 10_000;
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        node.exited.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), grace))),
      ]);
      // A pending grace timer would keep the process alive for up to its full length.
      clearTimeout(timer);
      if (!exited) {
        this.log.warn(`node ${node.layout.index} (pid ${pid}) ignored ${signal} for ${grace / 1000} s; sending SIGKILL`);
        process.kill(pid, 'SIGKILL');
        await node.exited;
      }
    }
    rmSync(this.pidFile(node.layout.index), { force: true });
  }

  private nodetool(node: NodeState, args: string[]): Promise<string> {
    const long = args[0] === 'decommission';
    return nodetool(args, {
      libDir: this.libDir!,
      jmxPort: node.layout.jmxPort,
      workDir: join(this.baseDir, 'nodetool'),
      timeoutMs: long ? this.startTimeoutMs : NODETOOL_TIMEOUT_MS,
    });
  }

  private async waitForRing(what: string, done: (ring: RingEntry[]) => boolean): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last: RingEntry[] = [];
    while (Date.now() < deadline) {
      try {
        last = await this.ring();
        if (done(last)) return;
      } catch {
        // a node mid-change can fail one status call; the deadline bounds the retries
      }
      await sleep(1000);
    }
    const seen = last.map((e) => `${e.address} ${e.status} ${e.state}`).join(', ');
    throw new Error(`ring did not show ${what} within 60 s (last seen: ${seen || 'nothing'})`);
  }
}

/**
 * The nodes share the machine's cores with the loader. A detached JVM leads its own session and so its own
 * scheduler autogroup, where `renice` has no effect; the autogroup's nice value does. At the lowest priority
 * the JVMs no longer starve the loader's event loop (measured in BENCHMARKS.md: loop p99 ~70 ms → ~5 ms), so
 * the loader measures the cluster, not the CPU scheduler. Best effort: kernels without autogroup ignore it.
 */
function lowerSchedulingPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, '19');
  } catch {
    // No autogroup support (or not Linux): the nodes keep normal priority.
  }
}


// One scaler against one local Cloud API over real HTTP (simulated provider, fast timings), recording what the user
// would see (log lines, events, phases) and what the server received, for the scaler's end-to-end and fault tests.
import { realClock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { Secret } from '../../src/config/secret.js';
import type { Phase } from '../../src/phase.js';
import { CloudApi, type CloudApiOptions } from '../../src/scaler/cloudApi.js';
import { Scaler, type ScalerEvent, type ScalerOptions, type ScalerOutcome } from '../../src/scaler/scaler.js';
import { startCloudServer, type CloudServer, type CloudServerOptions } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';

export const TOKEN = 'e2e-secret-token-4f9a1c';
export const ACCOUNT = 7;
export const CLUSTER = 42;

export interface Rig {
  server: CloudServer;
  phases: Phase[];
  events: ScalerEvent[];
  lines: string[];
  outcome: Promise<ScalerOutcome>;
  stop: AbortController;
  posts: () => number;
  /** The parsed bodies of every POST the server received, in order. */
  postBodies: () => unknown[];
  /** Every distinct `activity` the scaler showed, sampled every few ms. */
  activities: string[];
}

export async function rig(
  opts: {
    initialNodes?: number;
    joinMs?: number;
    timeoutMs?: number;
    token?: string;
    before?: (s: CloudServer) => void;
    tls?: CloudServerOptions['tls'];
    client?: Partial<CloudApiOptions>;
  } & Partial<Pick<ScalerOptions, 'stableSecs' | 'dryRun' | 'maxCycles' | 'minNodes' | 'maxNodes' | 'errorBoundSecs'>> = {},
): Promise<Rig> {
  const provider = new SimulatedProvider({ initialNodes: opts.initialNodes ?? 3, joinMs: opts.joinMs ?? 40, leaveMs: 40 });
  const server = await startCloudServer({ token: TOKEN, accountId: ACCOUNT, clusterId: CLUSTER, rf: 3, provider, ...(opts.tls ? { tls: opts.tls } : {}) });
  opts.before?.(server);
  const log = memoryLogger();
  const phases: Phase[] = [];
  const events: ScalerEvent[] = [];
  let scaler: Scaler | undefined;
  const api = new CloudApi({
    baseUrl: server.url,
    token: new Secret(opts.token ?? TOKEN),
    accountId: ACCOUNT,
    clusterId: CLUSTER,
    timeoutMs: opts.timeoutMs ?? 2000,
    retry: { tries: 5, baseDelayMs: 5, maxDelayMs: 20 },
    onRetry: (e) => scaler?.noteRetry(e),
    ...opts.client,
  });
  scaler = new Scaler({
    api,
    clock: realClock,
    log,
    minNodes: opts.minNodes ?? 3,
    maxNodes: opts.maxNodes ?? 6,
    pollSecs: 0.05,
    stableSecs: opts.stableSecs ?? 0.2,
    dryRun: opts.dryRun ?? false,
    maxCycles: opts.maxCycles ?? 1,
    ...(opts.errorBoundSecs !== undefined ? { errorBoundSecs: opts.errorBoundSecs } : {}),
    onPhase: (p) => phases.push(p),
    onEvent: (e) => events.push(e),
  });
  const stop = new AbortController();
  const activities: string[] = [];
  const sample = (): void => {
    if (activities[activities.length - 1] !== scaler.activity) activities.push(scaler.activity);
  };
  const sampler = setInterval(sample, 2);
  const outcome = scaler.run(stop.signal).finally(() => {
    clearInterval(sampler);
    sample();
  });
  const postCalls = () => server.received.filter((r) => r.method === 'POST');
  return {
    server,
    phases,
    events,
    lines: log.lines,
    outcome,
    stop,
    posts: () => postCalls().length,
    postBodies: () => postCalls().map((c) => JSON.parse(c.body) as unknown),
    activities,
  };
}

export async function finish(r: Rig): Promise<ScalerOutcome> {
  try {
    return await r.outcome;
  } finally {
    r.stop.abort();
    await r.server.close();
  }
}

export const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 10));
  }
};

export const shape = (p: Phase): string =>
  p.kind === 'steady' ? `steady@${p.nodes}#${p.cycle}` : p.kind === 'resizing' ? `resize ${p.from}→${p.to}#${p.cycle}` : p.kind;

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig, type Config } from '../src/config/load.js';
import type { RunIdentity } from '../src/load/rowContent.js';

// Shared by the bench orchestrator and its workers.

export const KEYSPACE = 'bench_ks';
export const TABLE = 'bench_rows';
/** The run identity of the rows the seed step writes and the read cases read back. */
export const SEED_RUN: RunIdentity = { startMs: 1_767_225_600_000, nonce: 0x1_2345_6789 };

export function benchConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      SCY_CONTACT_POINTS: '127.0.0.1',
      SCY_LOCAL_DC: 'datacenter1',
      SCY_RF: '1',
      SCY_KEYSPACE: KEYSPACE,
      SCY_TABLE: TABLE,
      ...extra,
    },
    flags: {},
    envFile: null,
    cwd: process.cwd(),
  });
}

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** CPU, wall time and event-loop delay over one measured window. */
export class Window {
  private cpu0 = process.cpuUsage();
  private t0 = performance.now();
  private readonly eld = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.eld.enable();
  }

  end(): { cpuUs: number; wallMs: number; cpuPercent: number; loop: LoopDelay } {
    const c = process.cpuUsage(this.cpu0);
    const wallMs = performance.now() - this.t0;
    this.eld.disable();
    const cpuUs = c.user + c.system;
    return {
      cpuUs,
      wallMs,
      cpuPercent: (cpuUs / (wallMs * 1000)) * 100,
      // The histogram holds whole sampling intervals (an idle loop reads ~10 ms): the delay is what exceeds 10 ms.
      loop: {
        p50Ms: Math.max(0, this.eld.percentile(50) / 1e6 - 10),
        p99Ms: Math.max(0, this.eld.percentile(99) / 1e6 - 10),
        maxMs: Math.max(0, this.eld.max / 1e6 - 10),
      },
    };
  }
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

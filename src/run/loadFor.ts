import { availableParallelism } from 'node:os';
import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { SchemaTarget } from '../db/schema.js';
import type { LoadEngine } from '../load/engine.js';
import { InProcessLoad } from '../load/inProcessLoad.js';
import type { RunIdentity } from '../load/rowContent.js';
import { ThreadedLoad } from '../load/threadPool.js';
import type { Logger } from '../log.js';
import type { Recorder } from '../metrics/recorder.js';
import type { RecorderFeed } from './feed.js';

// Row ids name their loader thread in 6 bits of the loader number (rowContent.ts loaderIdentity).
const MAX_THREADS = 64;

// Client CPU of the real driver (BENCHMARKS.md, one event loop): a read ~130 µs, a batch ~100 µs plus ~20 µs a
// row. Each thread is given at most half a core of that, so a resize's latency spikes and GC leave it headroom.
const READ_US = 130;
const BATCH_US = 100;
const ROW_US = 20;
const THREAD_BUDGET_US_PER_SEC = 500_000;

type ThreadSettings = Pick<Config, 'loaderThreads' | 'writeWorkers' | 'writeRowsPerSec' | 'readRps' | 'batchMin' | 'batchMax' | 'batchBiasHigh'>;

/**
 * Loader threads the run uses, and why: the setting; else every core the machine offers (at most 64) when the
 * writes are a closed loop, which takes whatever the cluster gives; else, when every rate is set, just the threads
 * those rates need. Splitting a small load over more event loops only costs more CPU per operation (the driver on
 * two threads at 2,000 reads/s costs 1.3–1.6× what it costs on one, BENCHMARKS.md) and more connections.
 */
export function loaderThreadsChoice(config: ThreadSettings, cores = availableParallelism()): { threads: number; why: string } {
  if (config.loaderThreads !== undefined) return { threads: config.loaderThreads, why: 'SCY_LOADER_THREADS' };
  const all = Math.min(cores, MAX_THREADS);
  const closedLoopWrites = config.writeWorkers > 0 && config.writeRowsPerSec === undefined;
  if (closedLoopWrites) return { threads: all, why: 'default for closed-loop writes: every core' };
  const rows = config.writeWorkers > 0 ? (config.writeRowsPerSec ?? 0) : 0;
  const lo = config.batchBiasHigh ? Math.floor((config.batchMin + config.batchMax) / 2) : config.batchMin;
  const meanBatch = (lo + Math.max(lo, config.batchMax)) / 2;
  const us = config.readRps * READ_US + (rows / meanBatch) * BATCH_US + rows * ROW_US;
  const threads = Math.max(1, Math.min(all, Math.ceil(us / THREAD_BUDGET_US_PER_SEC)));
  return { threads, why: `default for these rates: ~${(us / 1e6).toFixed(2)} core of driver work, half a core a thread, at most every core` };
}

export const loaderThreads = (config: ThreadSettings, cores?: number): number => loaderThreadsChoice(config, cores).threads;

/** One thread records straight into the run's recorder; several report through the feed, in order. */
export function loadFor(o: {
  config: Config;
  client: cassandra.Client;
  target: SchemaTarget;
  run: RunIdentity;
  recorder: Recorder;
  feed: RecorderFeed;
  clock: Clock;
  log: Logger;
}): LoadEngine {
  const threads = loaderThreads(o.config);
  if (threads === 1) {
    return new InProcessLoad({ client: o.client, config: o.config, target: o.target, run: o.run, recorder: o.recorder, clock: o.clock, log: o.log });
  }
  return new ThreadedLoad({
    threads,
    config: o.config,
    target: o.target,
    run: o.run,
    clock: o.clock,
    log: o.log,
    onLoss: (kind, id, detectedBy, detail) => void o.feed.then(() => o.recorder.noteLoss(kind, id, detectedBy, detail)),
    onEvent: (e) => void o.feed.then(() => o.recorder.event(e)),
  });
}

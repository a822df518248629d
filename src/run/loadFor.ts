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

/** Loader threads the run uses: the setting, or every core the machine offers (at most 64). */
export function loaderThreads(config: Pick<Config, 'loaderThreads'>, cores = availableParallelism()): number {
  return config.loaderThreads ?? Math.min(cores, MAX_THREADS);
}

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

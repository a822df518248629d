import { createHash } from 'node:crypto';
import { MAX_SHARDS } from '../config/shardSpec.js';
import { MAX_LOADERS, newRunIdentity, type RunIdentity } from './rowContent.js';

// The row-id space of a run split over shards. Shards start at different moments on different machines, so
// their common base identity cannot be a start time: it is derived from the run id they share (its SHA-256 fills
// the time field and the nonce's high bits; the "start time" of such ids is therefore not a time). The nonce's
// low 12 bits name the loader: shard × 64 + worker thread (SCY_LOADER_THREADS ≤ 64), so ids of different shards
// and threads are disjoint by construction.

export const MAX_THREADS_PER_SHARD = MAX_LOADERS / MAX_SHARDS;

/** The identity every shard of run `runId` derives alike. */
export function sharedRunIdentity(runId: string): RunIdentity {
  const h = createHash('sha256').update(`scylla-resize-test run ${runId}`).digest();
  // 40 bits of time field (dates before 2005, so they never look like a real recent run) and 22 nonce bits.
  const startMs = h.readUIntBE(0, 5);
  const high = h.readUIntBE(5, 3) >>> 2;
  return { startMs, nonce: high * MAX_LOADERS };
}

/**
 * The identity this process hands its loader threads: the run's base (shared by all shards when the run has an
 * id, else fresh) with shard × 64 as its first loader number, so thread t writes as loader shard × 64 + t.
 */
export function shardBaseIdentity(config: { runId?: string | undefined; shard: { index: number } }, startMs: number): RunIdentity {
  const base = config.runId === undefined ? newRunIdentity(startMs) : sharedRunIdentity(config.runId);
  return config.shard.index === 0 ? base : { ...base, firstLoader: config.shard.index * MAX_THREADS_PER_SHARD };
}

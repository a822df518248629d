import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './load.js';
import { shareOf } from '../load/threadPool.js';
import type { Shard, ShardSpec } from './shardSpec.js';

// Resolving and applying the shard settings: which shard this process is, what share of the offered load it
// sends, where its run folder goes, and whether it drives the scaler.

/** The settings a shard split checks, with the environment the Indexed Job index comes from. */
export function resolveShard(
  r: { shard: ShardSpec; runId?: string | undefined; batchInflight: number; outDir: string },
  env: Record<string, string | undefined>,
): Shard {
  const { count } = r.shard;
  let index = r.shard.index;
  if (index === null && count === 1) index = 0;
  if (index === null) {
    const job = env.JOB_COMPLETION_INDEX;
    if (job === undefined || job === '') {
      throw new ConfigError(`SCY_SHARD=${count} (--shard) gives only the shard count, so the index comes from JOB_COMPLETION_INDEX, which is not set: outside an Indexed Job use SCY_SHARD=i/${count}`);
    }
    if (!/^\d+$/.test(job.trim()) || Number(job) >= count) {
      throw new ConfigError(`JOB_COMPLETION_INDEX=${JSON.stringify(job)} is not a shard index of SCY_SHARD=${count}: expected a whole number from 0 to ${count - 1}`);
    }
    index = Number(job);
  }
  if (count > 1 && r.runId === undefined) {
    throw new ConfigError(`SCY_RUN_ID (--run-id) is required when SCY_SHARD splits the run over ${count} loaders: give every shard the same new id`);
  }
  if (r.batchInflight < count) {
    throw new ConfigError(`SCY_BATCH_INFLIGHT=${r.batchInflight} must be at least the shard count ${count}: each shard gets a share of it`);
  }
  // A second run under the same id would write the same row ids into the same folder: refuse it.
  if (r.runId !== undefined && existsSync(join(shardFolder(r.outDir, r.runId, index), 'shard.json'))) {
    throw new ConfigError(`SCY_RUN_ID=${r.runId} (--run-id): ${shardFolder(r.outDir, r.runId, index)} already holds this shard of a finished run; give every run a new id`);
  }
  return { index, count };
}

function shardFolder(outDir: string, runId: string, index: number): string {
  return join(outDir, runId, `shard-${index}`);
}

/** Part `i` of a rate split into `n` parts in thousandths (0.5 reads/s splits too): the parts add up to the whole. */
export function splitRate(total: number, i: number, n: number): number {
  return shareOf(Math.round(total * 1000), n, i) / 1000;
}

/**
 * This shard's config: its share of every offered-load setting (reads/s, offered write rows/s, in-flight
 * batches), everything else as given. A one-process run is returned as is.
 */
export function shardShare(config: Config): Config {
  const { index, count } = config.shard;
  if (count === 1) return config;
  return {
    ...config,
    readRps: splitRate(config.readRps, index, count),
    ...(config.writeRowsPerSec !== undefined ? { writeRowsPerSec: splitRate(config.writeRowsPerSec, index, count) } : {}),
    batchInflight: shareOf(config.batchInflight, count, index),
  };
}

/** Exactly one process of a run drives the scaler: shard 0. The others follow the phases read-only. */
export function drivesScaler(config: Config): boolean {
  return config.shard.index === 0;
}

/** With a run id `<out>/<run id>/shard-<i>`, so all shards of a run can share one volume; else `<out>/<start time>`. */
export function runFolder(config: Config, startedAt: Date): string {
  if (config.runId !== undefined) return shardFolder(config.outDir, config.runId, config.shard.index);
  return join(config.outDir, startedAt.toISOString().replace(/[:.]/g, '-'));
}

import { ParseError, type Parser } from './parse.js';

// How one run is split over N loader processes. The shard index either is given (`i/N`, by hand) or comes
// from the Kubernetes Indexed Job's JOB_COMPLETION_INDEX (`N` alone), so one pod template serves every pod.

/** Row ids leave 12 bits for the loader: 64 shards × 64 worker threads (load/shardIdentity.ts). */
export const MAX_SHARDS = 64;

export interface ShardSpec {
  /** Null: read the index from JOB_COMPLETION_INDEX when the config is resolved. */
  index: number | null;
  count: number;
}

export interface Shard {
  index: number;
  count: number;
}

const ALLOWED = `i/N (shard i of N, 0 ≤ i < N ≤ ${MAX_SHARDS}) or N alone (index from the Indexed Job's JOB_COMPLETION_INDEX)`;

export const shardSpec: Parser<ShardSpec> = (raw) => {
  const m = /^(?:(\d+)\/)?(\d+)$/.exec(raw.trim());
  if (!m) throw new ParseError(ALLOWED);
  const count = Number(m[2]);
  const index = m[1] === undefined ? null : Number(m[1]);
  if (count < 1 || count > MAX_SHARDS || (index !== null && index >= count)) throw new ParseError(ALLOWED);
  return { index, count };
};

/** A run id is part of folder names and of every shard's row-id space, so it is a plain short name. */
export const runIdName: Parser<string> = (raw) => {
  const s = raw.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)) throw new ParseError('a name of letters, digits, ".", "_" and "-" (at most 64 characters)');
  return s;
};

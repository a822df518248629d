import cassandra from 'cassandra-driver';
import { COLUMNS } from '../db/schema.js';

// A row's content is a pure function of its id, so any read can tell a good row from a missing or altered one
// without keeping written data in memory. Ids are RFC 9562 version-8 UUIDs that carry the run's start time,
// a per-run nonce and the row's sequence number: the run can re-create every id it acknowledged from a
// compact record of sequence ranges.
//
// id layout (128 bits): 48 bits run start (ms) | 4 bits version 8 | 12 bits nonce high |
//                       2 bits variant | 22 bits nonce low | 40 bits sequence number

const { Uuid } = cassandra.types;

export const MAX_SEQ = 2 ** 40 - 1;

export interface RunIdentity {
  startMs: number;
  /** 34 random bits distinguishing runs that start in the same millisecond. */
  nonce: number;
  /** The loader number of this process's thread 0: shard × 64 in a run split over shards (shardIdentity.ts). */
  firstLoader?: number;
}

export function newRunIdentity(startMs: number): RunIdentity {
  return { startMs, nonce: Math.floor(Math.random() * 2 ** 34) };
}

// The nonce's low 12 bits name the loader that writes under an identity (a worker thread, and with shards a
// loader process), so loaders of one run write disjoint ids by construction, not by chance.
const LOADER_BITS = 12;
export const MAX_LOADERS = 2 ** LOADER_BITS;

/** The identity loader `loader` of this process (its thread; 0 ≤ firstLoader + loader < MAX_LOADERS) writes its rows under within run `base`. */
export function loaderIdentity(base: RunIdentity, loader: number): RunIdentity {
  const n = (base.firstLoader ?? 0) + loader;
  if (!Number.isInteger(loader) || loader < 0 || n >= MAX_LOADERS) throw new RangeError(`loader ${n} out of 0..${MAX_LOADERS - 1}`);
  const high = Math.floor(base.nonce / MAX_LOADERS) * MAX_LOADERS;
  return { startMs: base.startMs, nonce: high + n };
}

export function idBytes(run: RunIdentity, seq: number, out: Buffer = Buffer.allocUnsafe(16)): Buffer {
  out.writeUIntBE(run.startMs, 0, 6);
  out.writeUInt16BE(0x8000 | Math.floor(run.nonce / 2 ** 22) & 0x0fff, 6);
  const nonceLow = run.nonce % 2 ** 22;
  // variant 0b10, then 22 nonce bits and the top 8 of the 40 sequence bits fill bytes 8..11
  const hi32 = (0b10 << 30) | (nonceLow << 8) | Math.floor(seq / 2 ** 32);
  out.writeUInt32BE(hi32 >>> 0, 8);
  out.writeUInt32BE(seq % 2 ** 32, 12);
  return out;
}

export function makeId(run: RunIdentity, seq: number): cassandra.types.Uuid {
  return new Uuid(idBytes(run, seq));
}

/** Recovers the sequence number and run of an id this tool wrote; null for ids of another shape. */
export function parseId(id: Buffer): { run: RunIdentity; seq: number } | null {
  if (id.length !== 16 || (id[6]! >> 4) !== 8 || (id[8]! >> 6) !== 0b10) return null;
  const startMs = id.readUIntBE(0, 6);
  const nonceHigh = id.readUInt16BE(6) & 0x0fff;
  const hi32 = id.readUInt32BE(8);
  const nonceLow = (hi32 >>> 8) & 0x3fffff;
  const seq = (hi32 & 0xff) * 2 ** 32 + id.readUInt32BE(12);
  return { run: { startMs, nonce: nonceHigh * 2 ** 22 + nonceLow }, seq };
}

// mulberry32: tiny, fast, and good enough to spread values; seeded per row from the sequence and nonce.
// Exported so tests draw reproducible random sequences from the same generator.
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin'];

// Free text is cut from one fixed pool, so building a row allocates slices rather than fresh characters.
const TEXT_POOL = buildPool('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ', 1 << 16, 0x5eed);
const TAG_POOL = buildPool('abcdefghijklmnopqrstuvwxyz', 1 << 12, 0x7a65);

function buildPool(alphabet: string, size: number, seed: number): string {
  const next = seededRandom(seed);
  let out = '';
  for (let i = 0; i < size; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  return out;
}

const DAY_MS = 86_400_000;

export interface Row {
  id: cassandra.types.Uuid;
  create_time: Date;
  updated_time: Date;
  fname: string;
  lname: string;
  data_object_json: string;
  i1: number;
  i2: number;
  i3: number;
  i4: number;
  i5: number;
  s1: string;
  s2: string;
  s3: string;
  s4: string;
  s5: string;
}

function seedOf(run: RunIdentity, seq: number): number {
  return (Math.imul(seq % 2 ** 32, 0x9e3779b1) ^ Math.floor(seq / 2 ** 32) ^ run.nonce) >>> 0;
}

// The row generator below is the mulberry32 of seededRandom() inlined on module state: one row is generated
// synchronously from start to end, so no closure per row is needed. It draws exactly the same numbers in the
// same order as the original closure-based version (rows.test.ts pins the content).
let state = 0;
function next(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function int(lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

const TEXT_COLUMNS = 5;
const INT_COLUMNS = 5;
const MAX_TAGS = 5;

/**
 * The random draws a row is made of, for one row at a time: rowValues builds the values from them, and diffRow
 * compares a row read back against them column by column, stopping at the first difference.
 */
const d = {
  created: 0,
  updated: 0,
  tags: 0,
  tagAt: new Int32Array(MAX_TAGS),
  tagLen: new Int32Array(MAX_TAGS),
  active: false,
  beta: false,
  score: 0,
  first: 0,
  last: 0,
  ints: new Int32Array(INT_COLUMNS),
  textAt: new Int32Array(TEXT_COLUMNS),
  textLen: new Int32Array(TEXT_COLUMNS),
};

/** Draws row `seq` of `run` into `d`, in the original's column order: created, tags, flags, score, then updated, names, ints, texts. */
function draw(run: RunIdentity, seq: number): void {
  state = seedOf(run, seq);
  d.created = run.startMs - int(0, DAY_MS / 1000) * 1000;
  d.tags = int(0, MAX_TAGS);
  for (let k = 0; k < d.tags; k++) {
    const len = int(1, 12);
    d.tagLen[k] = len;
    d.tagAt[k] = int(0, TAG_POOL.length - len);
  }
  d.active = next() < 0.5;
  d.beta = next() < 0.5;
  d.score = int(0, 1_000_000);
  d.updated = d.created + int(0, DAY_MS / 1000) * 1000;
  d.first = int(0, FIRST.length - 1);
  d.last = int(0, LAST.length - 1);
  for (let i = 0; i < INT_COLUMNS; i++) d.ints[i] = int(-10_000, 10_000);
  for (let i = 0; i < TEXT_COLUMNS; i++) {
    const bound = int(0, 250);
    const len = int(0, bound);
    d.textLen[i] = len;
    d.textAt[i] = int(0, TEXT_POOL.length - len);
  }
}

const JSON_HEAD = '{"version":1,"flags":{"active":';
const JSON_BETA = ',"beta":';
const JSON_SCORE = '},"score":';
const JSON_TAGS = ',"tags":[';
const JSON_END = ']}';

function jsonOfDraws(): string {
  let tags = '';
  for (let k = 0; k < d.tags; k++) tags += (k === 0 ? '"' : ',"') + TAG_POOL.slice(d.tagAt[k]!, d.tagAt[k]! + d.tagLen[k]!) + '"';
  return JSON_HEAD + d.active + JSON_BETA + d.beta + JSON_SCORE + d.score + JSON_TAGS + tags + JSON_END;
}

/** Values of the row with sequence number `seq`, in the column order of schema.ts. */
export function rowValues(run: RunIdentity, seq: number): unknown[] {
  draw(run, seq);
  const out = new Array<unknown>(16);
  out[0] = makeId(run, seq);
  out[1] = new Date(d.created);
  out[2] = new Date(d.updated);
  out[3] = FIRST[d.first];
  out[4] = LAST[d.last];
  out[5] = jsonOfDraws();
  for (let i = 0; i < INT_COLUMNS; i++) out[6 + i] = d.ints[i];
  for (let i = 0; i < TEXT_COLUMNS; i++) out[11 + i] = TEXT_POOL.slice(d.textAt[i]!, d.textAt[i]! + d.textLen[i]!);
  return out;
}

/** Compares a row read back with what the id says it must hold; returns the first differing column or null. */
export function diffRow(run: RunIdentity, seq: number, row: cassandra.types.Row): string | null {
  draw(run, seq);
  if (!isTime(row.get(COLUMNS[1]!), d.created)) return COLUMNS[1]!;
  if (!isTime(row.get(COLUMNS[2]!), d.updated)) return COLUMNS[2]!;
  if (row.get(COLUMNS[3]!) !== FIRST[d.first]) return COLUMNS[3]!;
  if (row.get(COLUMNS[4]!) !== LAST[d.last]) return COLUMNS[4]!;
  if (row.get(COLUMNS[5]!) !== jsonOfDraws()) return COLUMNS[5]!;
  for (let i = 0; i < INT_COLUMNS; i++) if (row.get(COLUMNS[6 + i]!) !== d.ints[i]) return COLUMNS[6 + i]!;
  for (let i = 0; i < TEXT_COLUMNS; i++) {
    if (!isPoolSlice(row.get(COLUMNS[11 + i]!), TEXT_POOL, d.textAt[i]!, d.textLen[i]!)) return COLUMNS[11 + i]!;
  }
  return null;
}

function isTime(got: unknown, ms: number): boolean {
  return got instanceof Date && got.getTime() === ms;
}

function isPoolSlice(got: unknown, pool: string, at: number, len: number): boolean {
  // A slice of the pool is a view, not a copy, and === on it is a flat compare: faster than startsWith.
  return typeof got === 'string' && got.length === len && got === pool.slice(at, at + len);
}

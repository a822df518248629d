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
}

export function newRunIdentity(startMs: number): RunIdentity {
  return { startMs, nonce: Math.floor(Math.random() * 2 ** 34) };
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
function text(): string {
  const bound = int(0, 250);
  const len = int(0, bound);
  const at = int(0, TEXT_POOL.length - len);
  return TEXT_POOL.slice(at, at + len);
}

/**
 * Fills out[1..15] with the row's column values, dates as epoch milliseconds (out[0], the id, is left alone).
 * The draw order is the column order of the original: created, tags, flags, score, then updated, names, ints, texts.
 */
function fillRow(run: RunIdentity, seq: number, out: unknown[]): void {
  state = seedOf(run, seq);
  const created = run.startMs - int(0, DAY_MS / 1000) * 1000;
  let tags = '';
  for (let n = int(0, 5); n > 0; n--) {
    const len = int(1, 12);
    const at = int(0, TAG_POOL.length - len);
    tags += (tags === '' ? '"' : ',"') + TAG_POOL.slice(at, at + len) + '"';
  }
  const active = next() < 0.5;
  const beta = next() < 0.5;
  out[1] = created;
  out[5] = '{"version":1,"flags":{"active":' + active + ',"beta":' + beta + '},"score":' + int(0, 1_000_000) + ',"tags":[' + tags + ']}';
  out[2] = created + int(0, DAY_MS / 1000) * 1000;
  out[3] = FIRST[int(0, FIRST.length - 1)];
  out[4] = LAST[int(0, LAST.length - 1)];
  for (let i = 6; i <= 10; i++) out[i] = int(-10_000, 10_000);
  for (let i = 11; i <= 15; i++) out[i] = text();
}

/** Values of the row with sequence number `seq`, in the column order of schema.ts. */
export function rowValues(run: RunIdentity, seq: number): unknown[] {
  const out = new Array<unknown>(16);
  fillRow(run, seq, out);
  out[0] = makeId(run, seq);
  out[1] = new Date(out[1] as number);
  out[2] = new Date(out[2] as number);
  return out;
}

// Scratch row for diffRow: filled and compared synchronously, so one array serves every call.
const expected = new Array<unknown>(16);
const DATE_COLUMNS = new Set([1, 2]);

/** Compares a row read back with what the id says it must hold; returns the first differing column or null. */
export function diffRow(run: RunIdentity, seq: number, row: cassandra.types.Row): string | null {
  fillRow(run, seq, expected);
  for (let i = 1; i < 16; i++) {
    const want = expected[i];
    const got = row.get(COLUMNS[i]!);
    const same = DATE_COLUMNS.has(i) ? got instanceof Date && got.getTime() === want : got === want;
    if (!same) return COLUMNS[i]!;
  }
  return null;
}

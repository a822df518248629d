import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, diffRow, idBytes, loaderIdentity, makeId, MAX_LOADERS, MAX_SEQ, newRunIdentity, parseId, rowValues, type RunIdentity } from '../../src/load/rowContent.js';
import { batchSize } from '../../src/load/batchSize.js';

const seeded = seededRandom;

// The original tool's 16 columns, in its CREATE TABLE order.
const ORIGINAL_COLUMNS = [
  'id', 'create_time', 'updated_time', 'fname', 'lname', 'data_object_json',
  'i1', 'i2', 'i3', 'i4', 'i5', 's1', 's2', 's3', 's4', 's5',
];
const DAY_MS = 86_400_000;
const RUN: RunIdentity = { startMs: 1_767_225_600_000, nonce: 0x2_1234_5678 };

/** A stand-in for cassandra-driver's Row: keys() in select order, get(name). */
function fakeRow(values: unknown[], names = ORIGINAL_COLUMNS) {
  const byName = new Map(names.map((n, i) => [n, values[i]]));
  return {
    keys: () => [...names],
    get: (name: string) => byName.get(name),
    values: () => names.map((n) => byName.get(n)),
  } as unknown as Parameters<typeof diffRow>[2];
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('row ids', () => {
  const seqs = [0, 1, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 39, MAX_SEQ - 1, MAX_SEQ];
  const runs: RunIdentity[] = [
    RUN,
    { startMs: 0, nonce: 0 },
    { startMs: 2 ** 48 - 1, nonce: 2 ** 34 - 1 },
    { startMs: Date.now(), nonce: 2 ** 22 },
    { startMs: Date.now(), nonce: 2 ** 22 - 1 },
    newRunIdentity(Date.now()),
  ];

  test('MAX_SEQ is 2^40 - 1', () => {
    assert.equal(MAX_SEQ, 1_099_511_627_775);
  });

  test('idBytes/parseId round-trip run start, nonce and seq, with version 8 and RFC variant', () => {
    for (const run of runs) {
      for (const seq of seqs) {
        const b = idBytes(run, seq);
        assert.equal(b.length, 16);
        assert.equal(b[6]! >> 4, 8, 'version 8');
        assert.equal(b[8]! >> 6, 0b10, 'variant 10');
        assert.deepEqual(parseId(b), { run, seq }, `run ${JSON.stringify(run)} seq ${seq}`);
        assert.match(makeId(run, seq).toString(), UUID_V8);
      }
    }
  });

  test('random round trips', () => {
    const rnd = seeded(99);
    for (let i = 0; i < 5000; i++) {
      const run = { startMs: Math.floor(rnd() * 2 ** 45), nonce: Math.floor(rnd() * 2 ** 34) };
      const seq = Math.floor(rnd() * MAX_SEQ);
      assert.deepEqual(parseId(idBytes(run, seq)), { run, seq });
    }
  });

  test('idBytes writes into a given buffer', () => {
    const out = Buffer.alloc(16);
    const ret = idBytes(RUN, 12345, out);
    assert.equal(ret, out);
    assert.deepEqual(parseId(out), { run: RUN, seq: 12345 });
  });

  test('loaders of one run write disjoint ids, and a loader identity is stable', () => {
    const base = newRunIdentity(RUN.startMs);
    const ids = new Set<string>();
    for (const loader of [0, 1, 2, 63, MAX_LOADERS - 1]) {
      const a = loaderIdentity(base, loader);
      assert.deepEqual(loaderIdentity(base, loader), a);
      assert.equal(a.startMs, base.startMs);
      assert.equal(loaderIdentity(a, loader).nonce, a.nonce, 'deriving twice names the same loader');
      for (const seq of [0, 1, MAX_SEQ]) ids.add(makeId(a, seq).toString());
    }
    assert.equal(ids.size, 5 * 3);
    assert.throws(() => loaderIdentity(base, MAX_LOADERS), RangeError);
    assert.throws(() => loaderIdentity(base, -1), RangeError);
  });

  test('newRunIdentity keeps the start and draws a 34-bit nonce', () => {
    const r = newRunIdentity(1234);
    assert.equal(r.startMs, 1234);
    assert.ok(Number.isInteger(r.nonce) && r.nonce >= 0 && r.nonce < 2 ** 34);
  });

  test('parseId rejects ids of another shape', () => {
    for (let i = 0; i < 50; i++) assert.equal(parseId(Buffer.from(randomUUID().replace(/-/g, ''), 'hex')), null, 'v4 uuid');
    assert.equal(parseId(Buffer.alloc(15)), null);
    assert.equal(parseId(Buffer.alloc(17)), null);
    const wrongVariant = idBytes(RUN, 1);
    wrongVariant[8] = wrongVariant[8]! & 0x3f;
    assert.equal(parseId(wrongVariant), null);
  });

  test('distinct seqs and distinct runs give distinct ids', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 20_000; s++) seen.add(makeId(RUN, s).toString());
    for (const s of seqs) seen.add(makeId(RUN, s).toString());
    assert.equal(seen.size, 20_000 + seqs.filter((s) => s >= 20_000).length);
    const sameMs = [{ startMs: RUN.startMs, nonce: 1 }, { startMs: RUN.startMs, nonce: 2 }, { startMs: RUN.startMs, nonce: 2 ** 33 }];
    const ids = new Set(sameMs.map((r) => makeId(r, 7).toString()));
    ids.add(makeId({ startMs: RUN.startMs + 1, nonce: 1 }, 7).toString());
    assert.equal(ids.size, 4);
  });
});

describe('row content', () => {
  test('rowValues is deterministic per (run, seq)', () => {
    for (const seq of [0, 1, 999, 2 ** 32 + 5, MAX_SEQ]) {
      const a = rowValues(RUN, seq);
      const b = rowValues({ ...RUN }, seq);
      assert.deepEqual(a, b);
      assert.equal(String(a[0]), makeId(RUN, seq).toString(), 'the first value is the id');
    }
  });

  test('rowValues differs across seqs and across runs', () => {
    const content = (run: RunIdentity, seq: number): string => JSON.stringify(rowValues(run, seq).slice(1));
    const seen = new Set<string>();
    for (let s = 0; s < 2000; s++) seen.add(content(RUN, s));
    assert.equal(seen.size, 2000);
    let same = 0;
    const other = { startMs: RUN.startMs, nonce: RUN.nonce + 1 };
    for (let s = 0; s < 200; s++) if (content(RUN, s) === content(other, s)) same++;
    assert.equal(same, 0);
  });

  test('rows keep the original shape and mix of sizes', () => {
    const fnames = new Set<string>();
    const lnames = new Set<string>();
    const tagCounts = new Set<number>();
    let maxText = 0;
    let emptyText = 0;
    let neg = 0;
    let pos = 0;
    const flags = { active: new Set<boolean>(), beta: new Set<boolean>() };
    let scoreMax = 0;
    for (let seq = 0; seq < 3000; seq++) {
      const v = rowValues(RUN, seq);
      assert.equal(v.length, 16);
      const [, create, updated, fname, lname, json, ...rest] = v;
      assert.ok(create instanceof Date && updated instanceof Date);
      const c = create.getTime();
      const u = updated.getTime();
      assert.ok(c <= RUN.startMs && c >= RUN.startMs - DAY_MS, `create_time ${c}`);
      assert.ok(u >= c && u <= c + DAY_MS, `updated_time ${u} vs ${c}`);
      assert.equal(typeof fname, 'string');
      assert.equal(typeof lname, 'string');
      assert.match(fname as string, /^[A-Z][a-z]+$/);
      assert.match(lname as string, /^[A-Z][a-z]+$/);
      fnames.add(fname as string);
      lnames.add(lname as string);
      assert.equal(typeof json, 'string');
      assert.ok(!/\s/.test(json as string), 'compact JSON');
      const o = JSON.parse(json as string) as Record<string, unknown>;
      assert.deepEqual(Object.keys(o), ['version', 'flags', 'score', 'tags']);
      assert.equal(o.version, 1);
      const f = o.flags as Record<string, unknown>;
      assert.deepEqual(Object.keys(f), ['active', 'beta']);
      assert.equal(typeof f.active, 'boolean');
      assert.equal(typeof f.beta, 'boolean');
      flags.active.add(f.active as boolean);
      flags.beta.add(f.beta as boolean);
      assert.ok(Number.isInteger(o.score) && (o.score as number) >= 0 && (o.score as number) <= 1_000_000);
      scoreMax = Math.max(scoreMax, o.score as number);
      const tags = o.tags as unknown[];
      assert.ok(Array.isArray(tags) && tags.length <= 5);
      tagCounts.add(tags.length);
      for (const t of tags) {
        assert.equal(typeof t, 'string');
        assert.ok((t as string).length >= 1 && (t as string).length <= 12, `tag ${String(t)}`);
      }
      const ints = rest.slice(0, 5);
      const texts = rest.slice(5);
      assert.equal(texts.length, 5);
      for (const i of ints) {
        assert.ok(Number.isInteger(i) && (i as number) >= -10_000 && (i as number) <= 10_000, `int ${String(i)}`);
        if ((i as number) < 0) neg++;
        if ((i as number) > 0) pos++;
      }
      for (const s of texts) {
        assert.equal(typeof s, 'string');
        assert.ok((s as string).length <= 250);
        assert.match(s as string, /^[A-Za-z0-9 ]*$/);
        maxText = Math.max(maxText, (s as string).length);
        if ((s as string).length === 0) emptyText++;
      }
    }
    assert.ok(fnames.size <= 20 && fnames.size >= 18, `${fnames.size} first names`);
    assert.ok(lnames.size <= 20 && lnames.size >= 18, `${lnames.size} last names`);
    assert.deepEqual([...tagCounts].sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(flags.active.size, 2);
    assert.equal(flags.beta.size, 2);
    assert.ok(scoreMax > 900_000);
    assert.ok(neg > 1000 && pos > 1000);
    assert.ok(maxText > 230, `longest text ${maxText}: sizes must reach near 250`);
    assert.ok(emptyText > 0, 'some texts are short or empty');
  });

  test('diffRow is null for a faithful row', () => {
    for (const seq of [0, 5, 123_456, 2 ** 33]) {
      assert.equal(diffRow(RUN, seq, fakeRow(rowValues(RUN, seq))), null);
      // values as the driver returns them: fresh Date objects, not the same instances
      const copy = rowValues(RUN, seq).map((v) => (v instanceof Date ? new Date(v.getTime()) : v));
      assert.equal(diffRow(RUN, seq, fakeRow(copy)), null);
    }
  });

  test('diffRow names the altered column', () => {
    const seq = 4242;
    for (let i = 1; i < ORIGINAL_COLUMNS.length; i++) {
      const v = rowValues(RUN, seq);
      const x = v[i];
      v[i] = x instanceof Date ? new Date(x.getTime() + 1000) : typeof x === 'number' ? x + 1 : `${String(x)}!`;
      assert.equal(diffRow(RUN, seq, fakeRow(v)), ORIGINAL_COLUMNS[i]);
      const missing = rowValues(RUN, seq);
      missing[i] = null;
      assert.equal(diffRow(RUN, seq, fakeRow(missing)), ORIGINAL_COLUMNS[i], 'a null column is a difference');
    }
  });

  test('row content is pinned: the same ids give the same rows as when this digest was taken', () => {
    // Taken from the row generator before its draws were separated from building the values; any change to the
    // draws or their order changes the digest, so a faster generator cannot silently write (or expect) other rows.
    const h = createHash('sha256');
    for (const run of [{ startMs: 1_700_000_000_000, nonce: 0 }, { startMs: 1_800_000_000_123, nonce: 2 ** 34 - 1 }]) {
      for (let s = 0; s < 5000; s++) h.update(JSON.stringify(rowValues(run, s * 7919)) + '\n');
    }
    assert.equal(h.digest('hex'), '168a73eada466cf91efa8fb3c47c5101aa0287941372503536c3d92f26841bcd');
  });

  test('diffRow catches a change of any single character of the JSON and text columns, and any length change', () => {
    const textual = [5, 11, 12, 13, 14, 15];
    for (const seq of [3, 77, 4242, 2 ** 35 + 9]) {
      for (const i of textual) {
        const good = rowValues(RUN, seq)[i] as string;
        const variants = [good.slice(0, -1), `${good}x`, `x${good}`];
        for (let k = 0; k < good.length; k++) {
          const c = good.charCodeAt(k);
          variants.push(good.slice(0, k) + String.fromCharCode(c === 48 ? 49 : c + 1) + good.slice(k + 1));
        }
        for (const bad of variants) {
          const v = rowValues(RUN, seq);
          v[i] = bad;
          assert.equal(diffRow(RUN, seq, fakeRow(v)), ORIGINAL_COLUMNS[i], `column ${ORIGINAL_COLUMNS[i]} as ${JSON.stringify(bad)}`);
        }
      }
    }
  });

  test('diffRow reads the JSON score strictly: a leading zero or a missing score is a difference', () => {
    const seq = 9;
    const json = rowValues(RUN, seq)[5] as string;
    const score = /"score":(\d+)/.exec(json)![1]!;
    for (const bad of [json.replace(`"score":${score}`, `"score":0${score}`), json.replace(`"score":${score}`, '"score":')]) {
      const v = rowValues(RUN, seq);
      v[5] = bad;
      assert.equal(diffRow(RUN, seq, fakeRow(v)), 'data_object_json', bad);
    }
  });

  test("diffRow flags another row's content stored under this id", () => {
    const v = rowValues(RUN, 11);
    v[0] = makeId(RUN, 10);
    assert.notEqual(diffRow(RUN, 10, fakeRow(v)), null);
    assert.notEqual(diffRow({ ...RUN, nonce: RUN.nonce + 1 }, 11, fakeRow(rowValues(RUN, 11))), null);
  });
});

describe('batchSize', () => {
  function histogram(min: number, max: number, bias: boolean, n = 60_000): Map<number, number> {
    const rnd = seeded(min * 1000 + max + (bias ? 7 : 0));
    const h = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const b = batchSize(min, max, bias, rnd);
      h.set(b, (h.get(b) ?? 0) + 1);
    }
    return h;
  }

  function assertUniform(h: Map<number, number>, lo: number, hi: number, n = 60_000): void {
    const keys = [...h.keys()].sort((a, b) => a - b);
    assert.equal(keys[0], lo, 'lowest value reached');
    assert.equal(keys.at(-1), hi, 'highest value reached');
    assert.equal(keys.length, hi - lo + 1, 'every value in between reached, none outside');
    const expected = n / (hi - lo + 1);
    for (const [k, c] of h) assert.ok(Math.abs(c - expected) < expected * 0.2, `${k}: ${c} vs ≈${expected}`);
  }

  test('uniform over [min, max] without bias', () => {
    assertUniform(histogram(10, 50, false), 10, 50);
    assertUniform(histogram(1, 2, false), 1, 2);
  });

  test('biased: uniform over [floor((min+max)/2), max]', () => {
    assertUniform(histogram(10, 50, true), 30, 50);
    assertUniform(histogram(10, 51, true), 30, 51);
    assertUniform(histogram(1, 2, true), 1, 2);
    assertUniform(histogram(3, 100, true), 51, 100);
  });

  test('the extremes of random() map to min and max', () => {
    assert.equal(batchSize(10, 50, false, () => 0), 10);
    assert.equal(batchSize(10, 50, false, () => 0.999_999_999), 50);
    assert.equal(batchSize(10, 50, true, () => 0), 30);
    assert.equal(batchSize(10, 50, true, () => 0.999_999_999), 50);
  });

  test('min == max always gives that size', () => {
    for (const bias of [false, true]) {
      for (const r of [0, 0.3, 0.999_999]) assert.equal(batchSize(25, 25, bias, () => r), 25);
    }
  });
});

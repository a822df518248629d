import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type Config } from '../../src/config/load.js';
import { drivesScaler, runFolder, shardShare, splitRate } from '../../src/config/shard.js';
import { idBytes, loaderIdentity } from '../../src/load/rowContent.js';
import { MAX_THREADS_PER_SHARD, sharedRunIdentity, shardBaseIdentity } from '../../src/load/shardIdentity.js';

const BASE = { SCY_CONTACT_POINTS: '127.0.0.1' };
const cfg = (env: Record<string, string>): Config => loadConfig({ env: { ...BASE, ...env }, flags: {}, envFile: null, cwd: '/' });
const cfgError = (env: Record<string, string>): string => {
  try {
    cfg(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('expected a ConfigError');
};

describe('shard settings', () => {
  test('a one-process run is shard 0 of 1, drives the scaler and keeps its settings and folder', () => {
    const c = cfg({ SCY_READ_RPS: '1000', SCY_BATCH_INFLIGHT: '96', SCY_OUT_DIR: 'out' });
    assert.deepEqual(c.shard, { index: 0, count: 1 });
    assert.equal(drivesScaler(c), true);
    assert.equal(shardShare(c), c);
    assert.match(runFolder(c, new Date(0)), /^out\/1970-01-01T00-00-00-000Z$/);
  });

  test('i/N by hand, N alone from JOB_COMPLETION_INDEX, the flag wins over the variable', () => {
    assert.deepEqual(cfg({ SCY_SHARD: '2/3', SCY_RUN_ID: 'r1' }).shard, { index: 2, count: 3 });
    assert.deepEqual(cfg({ SCY_SHARD: '3', SCY_RUN_ID: 'r1', JOB_COMPLETION_INDEX: '1' }).shard, { index: 1, count: 3 });
    const c = loadConfig({ env: { ...BASE, SCY_SHARD: '0/2', SCY_RUN_ID: 'r1' }, flags: { shard: '1/2' }, envFile: null, cwd: '/' });
    assert.deepEqual(c.shard, { index: 1, count: 2 });
    assert.equal(drivesScaler(c), false);
    assert.equal(runFolder(c, new Date()), 'runs/r1/shard-1');
  });

  test('bad shard settings are one-line errors naming the setting and what is allowed', () => {
    for (const bad of ['3/3', '1/0', 'a/2', '-1/2', '0/65', '1/2/3']) {
      const m = cfgError({ SCY_SHARD: bad, SCY_RUN_ID: 'r' });
      assert.match(m, /SCY_SHARD=.*\(--shard\): expected i\/N/, m);
    }
    assert.match(cfgError({ SCY_SHARD: '3' }), /SCY_SHARD=3.*JOB_COMPLETION_INDEX, which is not set/);
    assert.match(cfgError({ SCY_SHARD: '3', SCY_RUN_ID: 'r', JOB_COMPLETION_INDEX: '3' }), /JOB_COMPLETION_INDEX="3".*0 to 2/);
    assert.match(cfgError({ SCY_SHARD: '0/2' }), /SCY_RUN_ID \(--run-id\) is required/);
    assert.match(cfgError({ SCY_SHARD: '0/4', SCY_RUN_ID: 'r', SCY_BATCH_INFLIGHT: '3' }), /SCY_BATCH_INFLIGHT=3 must be at least the shard count 4/);
    assert.match(cfgError({ SCY_RUN_ID: 'a b' }), /SCY_RUN_ID="a b" \(--run-id\): expected a name/);
  });

  test('a run id whose shard folder already holds a finished shard is refused (it would reuse the same row ids)', () => {
    const out = mkdtempSync(join(tmpdir(), 'srt-shard-'));
    mkdirSync(join(out, 'r7', 'shard-1'), { recursive: true });
    writeFileSync(join(out, 'r7', 'shard-1', 'shard.json'), '{}');
    assert.match(cfgError({ SCY_OUT_DIR: out, SCY_RUN_ID: 'r7', SCY_SHARD: '1/2' }), /SCY_RUN_ID=r7 \(--run-id\): .*shard-1 already holds this shard of a finished run/);
    assert.deepEqual(cfg({ SCY_OUT_DIR: out, SCY_RUN_ID: 'r7', SCY_SHARD: '0/2' }).shard, { index: 0, count: 2 }, 'other shards of the id are not affected');
  });
});

describe('shard share of the offered load', () => {
  test('in-flight batches split into whole parts that add up to the whole and differ by at most one', () => {
    for (const [total, n] of [[96, 3], [97, 3], [5, 5], [100, 7], [64, 64]] as const) {
      const parts = Array.from({ length: n }, (_, i) => shardShare(cfg({ SCY_RUN_ID: 'r', SCY_BATCH_INFLIGHT: String(total), SCY_SHARD: `${i}/${n}` })).batchInflight);
      assert.equal(parts.reduce((a, b) => a + b, 0), total);
      assert.ok(Math.max(...parts) - Math.min(...parts) <= 1);
    }
  });

  test('rates split in thousandths add up to the whole', () => {
    for (const [total, n] of [[1000, 3], [0.5, 3], [333.333, 7], [0, 2]] as const) {
      const parts = Array.from({ length: n }, (_, i) => splitRate(total, i, n));
      assert.equal(Math.round(parts.reduce((a, b) => a + b, 0) * 1000), Math.round(total * 1000), `${total}/${n}: ${parts}`);
    }
  });

  test("each shard's config carries its share of reads/s, offered write rows/s and in-flight batches, the rest unchanged", () => {
    const env = { SCY_RUN_ID: 'r', SCY_READ_RPS: '1000', SCY_WRITE_ROWS_PER_SEC: '20000', SCY_BATCH_INFLIGHT: '97', SCY_WRITE_WORKERS: '5' };
    const shares = [0, 1, 2].map((i) => shardShare(cfg({ ...env, SCY_SHARD: `${i}/3` })));
    assert.deepEqual(shares.map((s) => s.readRps), [333.334, 333.333, 333.333]);
    assert.deepEqual(shares.map((s) => s.writeRowsPerSec), [6666.667, 6666.667, 6666.666]);
    assert.deepEqual(shares.map((s) => s.batchInflight), [33, 32, 32]);
    assert.ok(shares.every((s) => s.writeWorkers === 5));
  });
});

describe('shard row ids', () => {
  test('every shard derives the same base from the run id; different run ids differ; no run id, a fresh base', () => {
    assert.deepEqual(sharedRunIdentity('run-a'), sharedRunIdentity('run-a'));
    assert.deepEqual(shardBaseIdentity({ runId: 'run-a', shard: { index: 0 } }, 123), sharedRunIdentity('run-a'));
    assert.notDeepEqual(sharedRunIdentity('run-a'), sharedRunIdentity('run-b'));
    assert.ok(sharedRunIdentity('run-a').startMs < 2 ** 40);
    const fresh = shardBaseIdentity({ shard: { index: 0 } }, 123);
    assert.equal(fresh.startMs, 123);
    assert.equal(fresh.firstLoader, undefined, 'a one-process run is unchanged');
  });

  test('thread t of shard i writes as loader i × 64 + t: the same sequence number never gives the same id twice', () => {
    const seen = new Set<string>();
    for (const shard of [0, 1, 63]) {
      const base = shardBaseIdentity({ runId: 'run-x', shard: { index: shard } }, 0);
      for (const thread of [0, 1, MAX_THREADS_PER_SHARD - 1]) {
        const id = loaderIdentity(base, thread);
        assert.equal(id.nonce % 4096, shard * 64 + thread);
        seen.add(idBytes(id, 7).toString('hex'));
      }
    }
    assert.equal(seen.size, 9);
    assert.throws(() => loaderIdentity(shardBaseIdentity({ runId: 'run-x', shard: { index: 63 } }, 0), 64), /loader 4096 out of/);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/secret.js';
import type { ThresholdId, ThresholdResult } from '../../src/metrics/types.js';
import type { ScalerOutcome } from '../../src/scaler/scaler.js';
import { EXIT, EXIT_MEANINGS } from '../../src/verdict/exitCodes.js';
import { decideVerdict, scalerFailures } from '../../src/verdict/verdict.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

const result = (id: ThresholdId, passed: boolean, name = `display text of ${id}`): ThresholdResult => ({
  id,
  name,
  limit: '≤ 1',
  actual: passed ? '1' : '2',
  passed,
  scope: 'cycle 1 · resize 3→6',
});

const outcome = (o: Partial<ScalerOutcome>): ScalerOutcome => ({
  stopped: 'cycles-done',
  cyclesCompleted: 1,
  resizesCompleted: 2,
  resizesFailed: 0,
  apiErrors: {},
  ...o,
});

const scaler = (o: Partial<ScalerOutcome>, cyclesAsked?: number, dryRun = false, stoppedByThreshold = false) => ({ outcome: outcome(o), cyclesAsked, dryRun, stoppedByThreshold });

describe('exit codes', () => {
  test('EXIT values are the documented ones', () => {
    assert.deepEqual(
      { ...EXIT },
      { ok: 0, internal: 1, badInput: 2, thresholdFailed: 3, dataLoss: 4, setupFailed: 5, runIncomplete: 6, interrupted: 130 },
    );
  });

  test("README's exit-code table lists every code with its meaning", () => {
    const codes = new Set(Object.values(EXIT));
    assert.equal(EXIT_MEANINGS.length, codes.size, 'one meaning per code');
    for (const [code, meaning] of EXIT_MEANINGS) {
      assert.ok(README.includes(`| ${code} | ${meaning} |`), `README lacks the row for exit code ${code}`);
    }
  });
});

describe('decideVerdict', () => {
  test('all thresholds pass, no scaler → 0 and no failures', () => {
    const v = decideVerdict({ thresholds: [result('write-p99', true), result('lost-rows', true)], scaler: null, runFailures: [] });
    assert.deepEqual(v, { exitCode: EXIT.ok, failures: [] });
  });

  test('a threshold failure → 3, with a line naming it', () => {
    const v = decideVerdict({ thresholds: [result('write-p99', false, 'write p99 (batch)'), result('lost-rows', true)], scaler: null, runFailures: [] });
    assert.equal(v.exitCode, EXIT.thresholdFailed);
    assert.equal(v.failures.length, 1);
    assert.equal(v.failures[0]!.id, 'write-p99');
    assert.match(v.failures[0]!.message, /^write p99 \(batch\) 2 \(limit ≤ 1\) in cycle 1 · resize 3→6$/);
  });

  test('lost rows are judged by the threshold id, whatever its display text says', () => {
    const renamed = decideVerdict({ thresholds: [result('lost-rows', false, 'rows the cluster lost')], scaler: null, runFailures: [] });
    assert.equal(renamed.exitCode, EXIT.dataLoss);
    const misleading = decideVerdict({ thresholds: [result('error-rate', false, 'lost or corrupt rows')], scaler: null, runFailures: [] });
    assert.equal(misleading.exitCode, EXIT.thresholdFailed, 'a display text that reads like lost rows is not data loss');
  });

  test('data loss wins over a short run, which wins over a threshold; every reason is listed, the deciding one first', () => {
    const v = decideVerdict({
      thresholds: [result('write-p99', false), result('lost-rows', false)],
      scaler: scaler({ stopped: 'fatal', reason: 'unauthorized', cyclesCompleted: 0 }, 2),
      runFailures: [{ id: 'loader-died', message: 'loader thread 1 died' }],
    });
    assert.equal(v.exitCode, EXIT.dataLoss);
    assert.deepEqual(v.failures.map((f) => [f.kind, f.id]), [
      ['data-loss', 'lost-rows'],
      ['run-incomplete', 'scaler-fatal'],
      ['run-incomplete', 'cycles-short'],
      ['run-incomplete', 'loader-died'],
      ['threshold', 'write-p99'],
    ]);
    const noLoss = decideVerdict({ thresholds: [result('write-p99', false)], scaler: null, runFailures: [{ id: 'loader-died', message: 'x' }] });
    assert.equal(noLoss.exitCode, EXIT.runIncomplete);
    assert.equal(noLoss.failures[0]!.id, 'loader-died');
  });

  test('a scaler stopped on a fatal error fails the run with 6 and says why, even when every threshold passed', () => {
    const v = decideVerdict({ thresholds: [result('lost-rows', true)], scaler: scaler({ stopped: 'fatal', reason: 'HTTP 401: unauthorized', cyclesCompleted: 0 }), runFailures: [] });
    assert.equal(v.exitCode, EXIT.runIncomplete);
    assert.equal(v.failures.length, 1);
    assert.match(v.failures[0]!.message, /scaler stopped.*HTTP 401: unauthorized/);
  });

  test('fewer cycles than SCY_CYCLES → 6; as many, or no SCY_CYCLES, or a dry run → 0', () => {
    const short = decideVerdict({ thresholds: [], scaler: scaler({ stopped: 'aborted', cyclesCompleted: 1 }, 3), runFailures: [] });
    assert.equal(short.exitCode, EXIT.runIncomplete);
    assert.match(short.failures[0]!.message, /1 of 3 resize cycles completed \(SCY_CYCLES=3\)/);
    assert.equal(decideVerdict({ thresholds: [], scaler: scaler({ cyclesCompleted: 3 }, 3), runFailures: [] }).exitCode, EXIT.ok);
    assert.equal(decideVerdict({ thresholds: [], scaler: scaler({ stopped: 'aborted', cyclesCompleted: 0 }), runFailures: [] }).exitCode, EXIT.ok);
    assert.equal(decideVerdict({ thresholds: [], scaler: scaler({ stopped: 'dry-run', cyclesCompleted: 0 }, 2, true), runFailures: [] }).exitCode, EXIT.ok);
    // a scaler that never reported an outcome completed nothing
    assert.equal(decideVerdict({ thresholds: [], scaler: { outcome: null, cyclesAsked: 1, dryRun: false, stoppedByThreshold: false }, runFailures: [] }).exitCode, EXIT.runIncomplete);
  });

  test('cycles cut short by SCY_ABORT_ON_FAIL are the threshold failure (exit 3), not a second one', () => {
    const v = decideVerdict({ thresholds: [result('write-p99', false)], scaler: scaler({ stopped: 'aborted', cyclesCompleted: 0 }, 2, false, true), runFailures: [] });
    assert.equal(v.exitCode, EXIT.thresholdFailed);
    assert.deepEqual(v.failures.map((f) => f.id), ['write-p99']);
    // a fatal scaler stop is its own failure still
    const fatal = decideVerdict({ thresholds: [result('write-p99', false)], scaler: scaler({ stopped: 'fatal', reason: 'r', cyclesCompleted: 0 }, 2, false, true), runFailures: [] });
    assert.equal(fatal.exitCode, EXIT.runIncomplete);
  });

  test('scalerFailures lists a fatal stop and the missing cycles separately', () => {
    assert.deepEqual(scalerFailures(scaler({ stopped: 'fatal', reason: 'r', cyclesCompleted: 1 }, 2)).map((f) => f.id), ['scaler-fatal', 'cycles-short']);
    assert.deepEqual(scalerFailures(scaler({ stopped: 'cycles-done', cyclesCompleted: 2 }, 2)), []);
  });

  test('a secret inside a failure reason is masked', () => {
    const token = 'tok_verdict_' + Math.random().toString(36).slice(2);
    new Secret(token);
    const v = decideVerdict({ thresholds: [], scaler: scaler({ stopped: 'fatal', reason: `server echoed Bearer ${token}` }), runFailures: [{ id: 'x', message: `also ${token}` }] });
    for (const f of v.failures) assert.ok(!f.message.includes(token), f.message);
  });
});

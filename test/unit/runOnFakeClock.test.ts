import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { instantClient } from '../../src/local/instantClient.js';
import { runTool, type RunResult } from '../../src/run.js';
import { capturedDeps, testConfig } from '../helpers/runHarness.js';

// The whole run (set up, wire, run, finish) on the fake clock, with one loader thread and an in-process client
// that keeps what it is sent: every interval, the stop, the drain and the sweep happen in fake time.
function fakeRun(env: Record<string, string>) {
  const clock = new FakeClock();
  const client = instantClient({ keepRows: true, latencyMs: 40 }, clock);
  const deps = capturedDeps({ clock, connect: async () => client });
  const config = testConfig({
    SCY_CONTACT_POINTS: '127.0.0.1',
    SCY_LOCAL_DC: 'datacenter1',
    SCY_LOADER_THREADS: '1',
    SCY_REPORT_SECS: '5',
    SCY_READ_RPS: '50',
    SCY_BATCH_INFLIGHT: '4',
    SCY_WRITE_WORKERS: '2',
    // An even sample across the run, so the sweep takes a few fake seconds rather than minutes.
    SCY_VERIFY_SAMPLE: '3000',
    ...env,
  });
  let result: RunResult | null = null;
  const done = runTool(config, deps).then((r) => (result = r));
  // Real macrotasks (the writers' setImmediate between cycles, file writes) get their turn between fake steps.
  // A few real turns per step: file writes and p-limit's hand-offs resume on the real event loop, and a loaded
  // machine answers file I/O late; the bound on fake time is generous because the run ends as soon as it can.
  const realTurn = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  /** Moves fake time on in 100 ms steps until the run ends (bounded). */
  const runFor = async (maxSecs: number, during?: (sec: number) => void): Promise<RunResult> => {
    for (let step = 0; step < maxSecs * 10 && !result; step++) {
      if (step % 10 === 0) during?.(step / 10);
      await realTurn();
      await clock.advance(100);
    }
    assert.ok(result, `the run ended within ${maxSecs} fake seconds; its last lines:\n${deps.lines.slice(-8).join('\n')}`);
    return result;
  };
  return { client, deps, runFor };
}

test('a timed run reports every interval, stops at its duration, and verifies every row it wrote', async () => {
  const { client, deps, runFor } = fakeRun({ SCY_DURATION: '30s' });
  const r = await runFor(300);
  assert.equal(r.exitCode, 0);
  const statusLines = deps.lines.filter((l) => /^load only \(no scaler\) · writes/.test(l));
  assert.equal(statusLines.length, 5, 'an interval every 5 s until the stop at 30 s (the last one closes at the end)');
  assert.ok(deps.lines.some((l) => /stopping \(duration 30s reached\)/.test(l)));
  const s = r.summary!;
  assert.equal(s.overall.writes.rows, client.written.size, 'rows counted = rows the client holds');
  assert.equal(s.verification?.acknowledged, client.written.size);
  assert.equal(s.verification?.checked, 3000);
  assert.equal(s.verification?.missing, 0);
  // 4 batches in flight, 40 ms each, 30–50 rows: about 100 batches a second for 30 s.
  assert.ok(s.overall.writes.batches > 2000 && s.overall.writes.batches < 3200, String(s.overall.writes.batches));
  // Reads start with the first acknowledged row and keep the 50/s schedule.
  assert.ok(Math.abs(s.phases[0]!.reads.completed - 50 * 30) <= 60, String(s.phases[0]!.reads.completed));
});

test('Ctrl+C stops the run where it is, drains and verifies, and exits 0', async () => {
  const { client, deps, runFor } = fakeRun({});
  const r = await runFor(300, (sec) => sec === 12 && deps.stop.abort());
  assert.equal(r.exitCode, 0);
  assert.ok(deps.lines.some((l) => /stopping \(interrupted\)/.test(l)));
  assert.equal(r.summary!.overall.writes.rows, client.written.size);
  const ms = r.summary!.phases[0]!.durationMs;
  assert.ok(ms >= 11_500 && ms <= 13_000, `the phase lasted ${ms} ms`);
});

test('rates and the read target are per second of load: the drain and the verification sweep add no time to them', async () => {
  const { deps, runFor } = fakeRun({ SCY_DURATION: '30s', SCY_VERIFY_SAMPLE: '20000' });
  const r = await runFor(300);
  const s = r.summary!;
  const wholeRunMs = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  assert.ok(wholeRunMs > 35_000, `the sweep of 20,000 rows took fake time (${wholeRunMs} ms in all)`);
  assert.ok(Math.abs(s.overall.durationMs - 30_000) <= 200, `the time of load is the 30 s asked for: ${s.overall.durationMs} ms`);
  assert.equal(s.overall.writes.rowsPerSec, (s.overall.writes.rows * 1000) / s.overall.durationMs);
  // Reads start with the first acknowledged row, a few fake milliseconds in; the target is the 50/s set.
  assert.ok(s.overall.reads.targetPerSec > 49.5 && s.overall.reads.targetPerSec <= 50, String(s.overall.reads.targetPerSec));
  assert.ok(Math.abs(s.overall.reads.readsPerSec - 50) < 1, String(s.overall.reads.readsPerSec));
  const last = s.phases.at(-1)!;
  assert.equal(last.endMs, s.overall.endMs, 'the last phase ends with the load, not after the drain or the sweep');
  assert.match(deps.lines.join('\n'), /^run .*, of which load 30s\)$/m);
});

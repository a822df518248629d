// The tool against real Cassandra nodes that really join and leave, behind the local Cloud API: load keeps
// going through each resize, the scaler reports each transition, and every acknowledged row is read back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import cassandra from 'cassandra-driver';
import { LocalCluster } from '../../src/local/cassandra.js';
import { parseId } from '../../src/load/rowContent.js';
import { CassandraProvider } from '../../src/local/cassandraProvider.js';
import { startCloudServer, type CloudServer } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';
import { EXIT } from '../../src/verdict/exitCodes.js';
import { totalErrors } from '../../src/metrics/span.js';
import { runTool } from '../../src/run.js';
import type { RunSummary } from '../../src/metrics/types.js';
import { startCluster } from '../helpers/sharedCluster.js';
import { capturedDeps, testConfig } from '../helpers/runHarness.js';

const TOKEN = 'e2e-token-7f3a9c1d2b4e6f80a1b2c3d4';

const LOAD = {
  SCY_CONTACT_POINTS: '127.0.0.1',
  SCY_LOCAL_DC: 'datacenter1',
  // A modest write rate keeps the full read-back of every acknowledged row short on 2 cores.
  SCY_WRITE_WORKERS: '1',
  SCY_BATCH_INFLIGHT: '2',
  SCY_BATCH_MIN: '5',
  SCY_BATCH_MAX: '10',
  SCY_READ_WORKERS: '2',
  SCY_READ_RPS: '100',
  SCY_REPORT_SECS: '2',
  SCY_DRAIN_SECS: '20',
};

describe('real local cluster', { timeout: 15 * 60_000 }, () => {
  let cluster: LocalCluster;
  let server: CloudServer;

  before(async () => {
    cluster = await startCluster(1, 'e2e-resize');
    server = await startCloudServer({ token: TOKEN, accountId: 7, clusterId: 42, rf: 1, provider: new CassandraProvider(cluster) });
  });

  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it('keeps writing and reading from two loader threads through a grow and a shrink, and loses no acknowledged row', { timeout: 10 * 60_000 }, async () => {
    const config = testConfig({
      ...LOAD,
      SCY_LOADER_THREADS: '2',
      SCY_KEYSPACE: 'resize_ks',
      SCY_RF: '1',
      SCY_MIN_NODES: '1',
      SCY_MAX_NODES: '2',
      SCY_STABLE_SECS: '8',
      SCY_POLL_SECS: '1',
      SCY_CYCLES: '1',
      SCY_CLOUD_API_BASE: server.url,
      SCY_CLOUD_TOKEN: TOKEN,
      SCY_ACCOUNT_ID: '7',
      SCY_CLUSTER_ID: '42',
    });
    const deps = capturedDeps();
    const result = await runTool(config, deps);
    const s = result.summary;
    assert.ok(s, `a summary was produced:\n${deps.lines.join('\n')}`);
    assert.equal(result.exitCode, EXIT.ok, deps.lines.slice(-40).join('\n'));

    const kinds = s.phases.map((p) => p.key).filter((k) => k !== 'waiting');
    assert.deepEqual(kinds, ['steady@1', 'resize 1→2', 'steady@2', 'resize 2→1', 'steady@1']);
    for (const p of s.phases.filter((x) => x.key !== 'waiting')) {
      assert.ok(p.writes.rows > 0, `rows written during ${p.label}`);
      assert.ok(p.reads.completed > 0, `reads completed during ${p.label}`);
      // Both threads wrote and read in every phase, and their parts add up to the phase's figures.
      const threads = p.threads ?? [];
      assert.deepEqual(threads.map((t) => t.thread).sort(), [0, 1], `both threads in ${p.label}`);
      assert.ok(threads.every((t) => t.rows > 0 && t.reads > 0), `${p.label}: ${JSON.stringify(threads)}`);
      assert.equal(threads.reduce((n, t) => n + t.rows, 0), p.writes.rows);
      assert.equal(threads.reduce((n, t) => n + t.reads, 0), p.reads.completed);
    }
    assert.ok(deps.lines.some((l) => /load: 2 loader threads/.test(l)));
    assert.equal(s.resizes.length, 2);
    assert.ok(s.resizes.every((r) => r.outcome === 'completed' && r.cycle === 1), JSON.stringify(s.resizes));
    assert.equal(deps.lines.filter((l) => l.includes('Resize complete & healthy')).length, 2);
    assert.ok(deps.lines.some((l) => /Stable 8\/8s at 2 nodes/.test(l)));

    // Every acknowledged row was read back after the drain and found intact.
    assert.ok(s.verification);
    assert.equal(s.verification.checked, s.verification.acknowledged);
    assert.equal(s.verification.sampled, false);
    assert.equal(s.verification.missing, 0);
    assert.equal(s.verification.corrupt, 0);
    assert.equal(s.overall.writes.rows, s.verification.acknowledged);

    // The driver saw the node come and go, and the timeline says so.
    assert.ok(s.overall.writes.rows > 1000);
    const timeline = readFileSync(join(result.runDir!, 'timeline.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.ok(timeline.some((e) => e.type === 'interval'));
    assert.ok(timeline.some((e) => e.type === 'host-added' || e.type === 'host-up'));
    assert.ok(timeline.some((e) => e.type === 'host-removed' || e.type === 'host-down'));
    assert.ok(timeline.filter((e) => e.type === 'phase').length >= 5);
    assert.ok(existsSync(join(result.runDir!, 'report.html')));
    assert.ok(existsSync(join(result.runDir!, 'summary.json')));
    assert.ok(!deps.lines.join('\n').includes(TOKEN), 'the token never appears in output');
  });

  it('survives a node killed under load, counts the errors and ends cleanly', { timeout: 6 * 60_000 }, async (t) => {
    await cluster.addNode();
    const config = testConfig({
      ...LOAD,
      SCY_CONTACT_POINTS: '127.0.0.1',
      SCY_KEYSPACE: 'kill_ks',
      // The one-thread run (all load on the main thread) against real nodes.
      SCY_LOADER_THREADS: '1',
      SCY_RF: '2',
      SCY_CONSISTENCY: 'ONE',
      SCY_DURATION: '30s',
      SCY_REQUEST_TIMEOUT_SECS: '3',
    });
    const victim = cluster.nodes().find((n) => n.index !== 1)!;
    const deps = capturedDeps();
    let killedAt = 0;
    const chaos = (async () => {
      await new Promise((r) => setTimeout(r, 8_000));
      killedAt = Date.now();
      await cluster.kill(victim.index);
      await new Promise((r) => setTimeout(r, 8_000));
      await cluster.restart(victim.index);
    })();
    const result = await runTool(config, deps);
    await chaos;
    const s = result.summary;
    assert.ok(s?.verification, deps.lines.join('\n'));
    // At consistency ONE a write acknowledged by the killed replica alone can really be lost: Cassandra syncs
    // its commit log every 10 s, and SIGKILL takes what was not synced. Seen here once in several runs. The
    // tool's job is to say so, by id, with exit code 4; otherwise the run ends with 0.
    const lost = s.verification.missing + s.verification.corrupt;
    if (lost > 0) {
      t.diagnostic(`the database lost ${lost} acknowledged rows at consistency ONE around the kill; reported by id`);
      assert.equal(result.exitCode, EXIT.dataLoss);
      const sweep = s.losses.filter((l) => l.detectedBy === 'sweep');
      assert.equal(sweep.length, Math.min(lost, 1000));
      assert.ok(sweep.every((l) => /^[0-9a-f-]{36}$/.test(l.id) && l.phase.length > 0));
    } else {
      assert.equal(result.exitCode, EXIT.ok, deps.lines.slice(-40).join('\n'));
    }
    const errors = totalErrors(s.overall.writes.retriedErrors) + totalErrors(s.overall.reads.errors);
    const timeline = readFileSync(join(result.runDir!, 'timeline.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; endMs?: number; writes?: { rows: number } });
    assert.ok(timeline.some((e) => e.type === 'host-down'), 'the driver reported the killed node down');
    assert.ok(errors > 0, 'requests cut off by the kill are counted as errors, not fatal');
    // Writes went on while the node was down.
    const whileDown = timeline.filter((e) => e.type === 'interval' && e.endMs! > killedAt + 2000 && e.endMs! < killedAt + 8000);
    assert.ok(whileDown.length > 0 && whileDown.every((e) => e.writes!.rows > 0), JSON.stringify(whileDown.map((e) => e.writes)));
    assert.equal(s.verification.checked, s.verification.acknowledged);
  });

  it('detects rows deleted or altered behind its back, by id, and fails with exit code 4', { timeout: 4 * 60_000 }, async () => {
    const config = testConfig({ ...LOAD, SCY_KEYSPACE: 'loss_ks', SCY_RF: '1', SCY_DURATION: '8s', SCY_LOADER_THREADS: '2' });
    const tampered = { deleted: [] as string[], altered: [] as string[] };
    const deps = capturedDeps({
      beforeVerify: async (client) => {
        const rs = await client.execute('SELECT id FROM loss_ks.demo_table LIMIT 30');
        const ids = rs.rows.map((r) => r.get('id') as cassandra.types.Uuid);
        assert.ok(ids.length >= 30 && ids.every((id) => parseId(id.getBuffer()) !== null));
        const all = { consistency: cassandra.types.consistencies.all, prepare: true };
        for (const id of ids.slice(0, 7)) {
          await client.execute('DELETE FROM loss_ks.demo_table WHERE id = ?', [id], all);
          tampered.deleted.push(id.toString());
        }
        for (const id of ids.slice(7, 12)) {
          await client.execute("UPDATE loss_ks.demo_table SET s3 = 'tampered' WHERE id = ?", [id], all);
          tampered.altered.push(id.toString());
        }
      },
    });
    const result = await runTool(config, deps);
    const s = result.summary;
    assert.ok(s?.verification);
    assert.equal(s.overall.writes.failedRows, 0, 'every written row was acknowledged, so every tampered row is one the sweep must check');
    assert.equal(s.verification.checked, s.verification.acknowledged);
    assert.equal(s.verification.missing, 7);
    assert.equal(s.verification.corrupt, 5);
    const sweep = s.losses.filter((l) => l.detectedBy === 'sweep');
    assert.deepEqual(sweep.filter((l) => l.kind === 'missing').map((l) => l.id).sort(), [...tampered.deleted].sort());
    assert.deepEqual(sweep.filter((l) => l.kind === 'corrupt').map((l) => l.id).sort(), [...tampered.altered].sort());
    assert.ok(sweep.every((l) => l.phase.length > 0));
    assert.equal(result.exitCode, EXIT.dataLoss);
    const lossLine = s.thresholds.find((t) => t.id === 'lost-rows');
    assert.ok(lossLine && !lossLine.passed && lossLine.actual === '12');
    const events = readFileSync(join(result.runDir!, 'timeline.ndjson'), 'utf8');
    assert.ok(events.includes(`"row-corrupt"`) && events.includes('"column":"s3"'));
  });

  it('the CLI with two loader threads stops on Ctrl+C: drains, verifies, prints the summary, exits 0; a second Ctrl+C exits 130 at once', { timeout: 3 * 60_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'srt-sigint-'));
    const args = ['dist/src/cli.js', '--contact-points', '127.0.0.1', '--local-dc', 'datacenter1', '--rf', '1', '--keyspace', 'sigint_ks',
      '--write-workers', '1', '--batch-inflight', '2', '--read-rps', '50', '--report-secs', '1', '--loader-threads', '2', '--out-dir', outDir];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const runUntil = (signals: number[]): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let sent = false;
        const onData = (b: Buffer): void => {
          out += b.toString();
          if (!sent && out.includes('writes ') && out.includes('rows/s')) {
            sent = true;
            for (const delay of signals) setTimeout(() => child.kill('SIGINT'), delay);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => resolve({ code, out }));
      });

    const graceful = await runUntil([3000]);
    assert.equal(graceful.code, 0, graceful.out.slice(-3000));
    assert.match(graceful.out, /Ctrl\+C: stopping/);
    assert.match(graceful.out, /draining in-flight work/);
    assert.match(graceful.out, /Verification sweep/);
    assert.match(graceful.out, /PASS/);
    assert.ok(!/^\s+at /m.test(graceful.out), 'no stack trace');

    const twice = await runUntil([2000, 2100]);
    assert.equal(twice.code, 130, twice.out.slice(-2000));
    assert.match(twice.out, /exiting now without draining/);
  });

  it('with SCY_ABORT_ON_FAIL a threshold that fails mid-run stops the run early with exit code 3', { timeout: 2 * 60_000 }, async () => {
    const config = testConfig({
      ...LOAD,
      SCY_KEYSPACE: 'abort_ks',
      SCY_RF: '1',
      SCY_REPORT_SECS: '1',
      SCY_DURATION: '60s',
      SCY_MAX_WRITE_P99_MS: '0.001',
      SCY_ABORT_ON_FAIL: '1',
    });
    const deps = capturedDeps();
    const began = Date.now();
    const result = await runTool(config, deps);
    assert.ok(Date.now() - began < 45_000, 'stopped long before the 60 s duration');
    assert.equal(result.exitCode, EXIT.thresholdFailed);
    assert.ok(deps.lines.some((l) => /stopping \(threshold failed: write p99 \(batch\)/.test(l)), deps.lines.join('\n'));
    const t = result.summary!.thresholds.find((x) => x.id === 'write-p99');
    assert.ok(t && !t.passed);
    assert.equal(result.summary!.verification?.missing, 0);
  });

  it('the CLI whose scaler hits a fatal Cloud API error mid-run keeps the load going, says why in the summary and exits 6', { timeout: 2 * 60_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'srt-fatal-'));
    // The scaler's side needs no real resize here: a simulated cluster answers at once, where nodetool takes seconds.
    const api = await startCloudServer({ token: TOKEN, accountId: 7, clusterId: 42, rf: 1, provider: new SimulatedProvider({ initialNodes: 1, joinMs: 100, leaveMs: 100 }) });
    const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
    const args = [cli, '--contact-points', '127.0.0.1', '--local-dc', 'datacenter1', '--rf', '1', '--keyspace', 'fatal_ks',
      '--write-workers', '1', '--batch-inflight', '2', '--read-rps', '50', '--report-secs', '1', '--duration', '90s', '--drain-secs', '5',
      '--min-nodes', '1', '--max-nodes', '2', '--stable-secs', '60', '--poll-secs', '0.5',
      '--cloud-api-base', api.url, '--account-id', '7', '--cluster-id', '42', '--out-dir', outDir];
    // The token comes from the environment, as a user would keep it; only it and the load settings above are set.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', SCY_CLOUD_TOKEN: TOKEN };
    let faultAt = 0;
    let stopSent = false;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: outDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const onData = (b: Buffer): void => {
        out += b.toString();
        // Once load runs and the scaler polls through its stability window, the service starts refusing the token.
        if (!faultAt && out.includes('writes ') && out.includes('rows/s')) {
          faultAt = Date.now();
          api.faults.push({ match: { method: 'GET' }, times: 1_000_000, kind: 'http', status: 401, code: '020001' });
        }
        // Once the scaler has stopped and four more status lines came, stop the run as a user would.
        const after = out.indexOf('scaler stopped:');
        if (!stopSent && after >= 0 && (out.slice(after).match(/writes .*rows\/s/g) ?? []).length >= 4) {
          stopSent = true;
          child.kill('SIGINT');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => resolve({ code, out }));
    }).finally(() => api.close());
    assert.ok(faultAt > 0, `load never started:\n${r.out.slice(-3000)}`);
    assert.ok(stopSent, `the scaler stopped and the load went on for four status lines:\n${r.out.slice(-3000)}`);
    assert.equal(r.code, EXIT.runIncomplete, r.out.slice(-3000));
    assert.match(r.out, /verdict\s+FAIL \(exit code 6\)\n\s+✗ the scaler stopped on an error it could not get past: .*unauthorized/);
    assert.ok(!r.out.includes(TOKEN), 'the token is never printed');

    const [runDir] = readdirSync(outDir).filter((d) => existsSync(join(outDir, d, 'summary.json')));
    assert.ok(runDir, 'a run folder with summary.json');
    const summary = JSON.parse(readFileSync(join(outDir, runDir, 'summary.json'), 'utf8')) as RunSummary;
    assert.equal(summary.exitCode, EXIT.runIncomplete);
    assert.deepEqual(summary.failures.map((f) => [f.kind, f.id]), [['run-incomplete', 'scaler-fatal']]);
    assert.ok(summary.thresholds.every((t) => t.passed), 'no threshold failed: exit 6 comes from the scaler alone');
    // The load went on after the scaler stopped: intervals after its fatal event still wrote and read.
    const timeline = readFileSync(join(outDir, runDir, 'timeline.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; at: number; writes?: { rows: number }; reads?: { completed: number } });
    const fatal = timeline.find((e) => e.type === 'fatal');
    assert.ok(fatal, 'the scaler logged its fatal stop in the timeline');
    const loaded = timeline.filter((e) => e.type === 'interval' && e.at > fatal.at && e.writes!.rows > 0 && e.reads!.completed > 0);
    assert.ok(loaded.length >= 3, `intervals with writes and reads after the stop: ${loaded.length}`);
  });
});

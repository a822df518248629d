import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS } from '../../src/config/settings.js';
import type { RunSummary } from '../../src/metrics/types.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';

// The built CLI, run as a user would: a fresh working directory (no .env), no SCY_* in the environment.
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const PKG = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SCY_')) env[k] = v;
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

function run(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 20_000, cwd = mkdtempSync(join(tmpdir(), 'scy-cli-'))): Promise<Result> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began });
    });
  });
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.trim().length > 0);
}

/** Exit 2, nothing on stdout, exactly one line on stderr without a stack trace; returns that line. */
function assertBadInput(r: Result, ...mentions: string[]): string {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  const err = lines(r.stderr);
  assert.equal(err.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.ok(!/^\s+at /m.test(r.stderr), 'no stack trace');
  assert.equal(r.stdout.trim(), '', 'nothing on stdout');
  for (const m of mentions) assert.ok(err[0]!.includes(m), `${JSON.stringify(err[0])} should mention ${m}`);
  return err[0]!;
}

const token = (): string => 'tok_' + randomBytes(24).toString('base64url');

describe('CLI (built)', { concurrency: true }, () => {
  test('--help documents every SCY_ setting, says frames are uncompressed, exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const s of Object.values(SETTINGS)) {
      assert.ok(r.stdout.includes(s.env), `--help lacks ${s.env}`);
      assert.ok(r.stdout.includes(`--${s.flag}`), `--help lacks --${s.flag}`);
    }
    assert.match(r.stdout, /uncompressed/i);
    assert.match(r.stdout, /lz4/);
    assert.equal(r.stderr, '');
  });

  test('--version prints the package version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), PKG.version);
  });

  test('demo --help works and shows the demo options', async () => {
    const r = await run(['demo', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--nodes-heap-mb/);
    assert.match(r.stdout, /demo/);
  });

  test('a bad setting as a flag: one line naming it, exit 2', async () => {
    const r = await run(['--contact-points', '10.0.0.1', '--port', 'abc']);
    const line = assertBadInput(r, 'SCY_PORT', '--port', 'abc');
    assert.match(line, /1 to 65535/);
  });

  test('a metrics port out of range: one line naming SCY_METRICS_PORT, exit 2', async () => {
    const line = assertBadInput(await run(['--contact-points', '10.0.0.1', '--metrics-port', '70000']), 'SCY_METRICS_PORT', '--metrics-port', '70000');
    assert.match(line, /1 to 65535/);
  });

  test('a bad setting as an environment variable: one line naming it, exit 2', async () => {
    const r = await run([], { SCY_CONTACT_POINTS: '10.0.0.1', SCY_CONSISTENCY: 'MOST' });
    const line = assertBadInput(r, 'SCY_CONSISTENCY', 'MOST');
    assert.match(line, /LOCAL_QUORUM/);
  });

  test('a cross-check failure: one line, exit 2', async () => {
    const r = await run(['--contact-points', '10.0.0.1', '--batch-min', '100', '--batch-max', '20']);
    assertBadInput(r, 'SCY_BATCH_MIN', 'SCY_BATCH_MAX');
  });

  test('missing contact points → exit 2 naming SCY_CONTACT_POINTS', async () => {
    const r = await run(['--duration', '1s']);
    assertBadInput(r, 'SCY_CONTACT_POINTS');
  });

  test('unknown flag → exit 2, one line', async () => {
    const r = await run(['--contact-points', '10.0.0.1', '--frobnicate', '3']);
    assertBadInput(r, '--frobnicate');
  });

  test('--cloud-token plus a bad setting: the token appears nowhere', async () => {
    for (const bad of [['--port', 'abc'], ['--min-nodes', '4'], ['--cloud-api-base', 'http://api.example.com']]) {
      const t = token();
      const r = await run(['--contact-points', '10.0.0.1', '--cloud-token', t, '--account-id', '1', '--cluster-id', '2', ...bad]);
      assertBadInput(r);
      assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), `token leaked with ${bad.join(' ')}: ${r.stderr}`);
    }
  });

  test('--cloud-token without account and cluster: names them, never the token', async () => {
    const t = token();
    const r = await run(['--contact-points', '10.0.0.1', '--cloud-token', t]);
    assertBadInput(r, 'SCY_ACCOUNT_ID', 'SCY_CLUSTER_ID');
    assert.ok(!r.stderr.includes(t));
  });

  test('SCY_CLOUD_TOKEN in the environment plus a bad setting: the token appears nowhere', async () => {
    const t = token();
    const r = await run(['--port', '0'], { SCY_CONTACT_POINTS: '10.0.0.1', SCY_CLOUD_TOKEN: t, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2' });
    assertBadInput(r, 'SCY_PORT');
    assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t));
  });

  test('SCY_PASSWORD plus a bad setting: the password appears nowhere', async () => {
    const pw = 'pw_' + randomBytes(16).toString('hex');
    const r = await run([], { SCY_CONTACT_POINTS: '10.0.0.1', SCY_PASSWORD: pw, SCY_TLS: 'sometimes' });
    assertBadInput(r, 'SCY_TLS');
    assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw));
    const r2 = await run(['--password', pw, '--keyspace', 'bad-name', '--contact-points', '10.0.0.1']);
    assertBadInput(r2, 'SCY_KEYSPACE');
    assert.ok(!r2.stdout.includes(pw) && !r2.stderr.includes(pw));
  });

  test('a token pasted into the wrong setting is still not printed', async () => {
    const t = token();
    const r = await run(['--contact-points', '10.0.0.1', '--cloud-token', t, '--account-id', '1', '--cluster-id', t]);
    assertBadInput(r, 'SCY_CLUSTER_ID');
    assert.ok(!r.stderr.includes(t), `the token is printed as the bad value: ${r.stderr}`);
  });

  test('a token HTTP cannot carry (a pasted line break) is refused at start: exit 2, one line, the token nowhere', async () => {
    const t = token();
    const r = await run(['--contact-points', '10.0.0.1', '--account-id', '1', '--cluster-id', '2'], { SCY_CLOUD_TOKEN: `${t}\r\nX-Injected: 1` });
    assertBadInput(r, 'SCY_CLOUD_TOKEN', 'line break');
    assert.ok(!r.stderr.includes(t) && !r.stderr.includes('X-Injected'), r.stderr);
  });

  test('a Cloud API base with credentials or a query: exit 2, one line, the credentials and query nowhere', async () => {
    for (const base of ['https://me:pa@ss@api.example.com', 'https://api.example.com/?apikey=qq77']) {
      const r = await run(['--contact-points', '10.0.0.1', '--cloud-api-base', base]);
      const line = assertBadInput(r, 'SCY_CLOUD_API_BASE');
      assert.ok(!/me:|pa@ss|qq77/.test(line), line);
    }
  });

  test('a .env the shell reads differently (an unquoted # in the password): exit 2, one line naming it, the password nowhere', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'scy-cli-'));
    writeFileSync(join(cwd, '.env'), 'SCY_CONTACT_POINTS=10.0.0.1\nSCY_PASSWORD=Qw9x#Zk7y\n');
    const r = await run([], {}, 20_000, cwd);
    const line = assertBadInput(r, '.env line 2', 'SCY_PASSWORD', 'single quotes');
    assert.ok(!/Qw9x|Zk7y/.test(line), line);
  });

  test('a UTF-16 settings file is refused with one line instead of reading as empty', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'scy-cli-'));
    writeFileSync(join(cwd, 'win.env'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('SCY_CONTACT_POINTS=10.0.0.1\n', 'utf16le')]));
    const r = await run(['--settings-file', 'win.env'], {}, 20_000, cwd);
    assertBadInput(r, 'win.env', 'UTF-16', 'UTF-8');
  });

  test('load only against an address where nothing listens: exit 5 with a one-line error, fast', async () => {
    const out = mkdtempSync(join(tmpdir(), 'scy-cli-out-'));
    const r = await run([
      '--contact-points', '127.0.0.254', '--port', '1', '--duration', '2s', '--out-dir', out, '--request-timeout-secs', '1',
    ]);
    assert.equal(r.code, 5, `exit code; stderr: ${r.stderr}; stdout: ${r.stdout}`);
    const err = lines(r.stderr);
    assert.equal(err.length, 1, `one error line, got:\n${r.stderr}`);
    assert.match(err[0]!, /cannot connect/i);
    assert.match(err[0]!, /127\.0\.0\.254/);
    assert.ok(!/^\s+at /m.test(r.stderr + r.stdout), 'no stack trace');
    assert.ok(r.ms < 10_000, `failed fast (${r.ms} ms)`);
  });
});

describe('compare (built CLI)', { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'scy-compare-'));
  const folder = (name: string, edit: (s: RunSummary) => void = () => {}): string => {
    const summary = buildSampleRun().summary;
    edit(summary);
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'summary.json'), JSON.stringify(summary));
    return d;
  };
  const base = folder('base');
  const worse = folder('worse', (s) => {
    for (const p of s.byPhaseKey) {
      p.writes.rowsPerSec *= 0.9;
      p.writes.batchLatency.p99 *= 1.2;
    }
    for (const r of s.resizes) r.durationMs! *= 1.3;
  });
  const allWithin = ['--max-throughput-drop', '11', '--max-p99-rise', '21', '--max-resize-time-rise', '31'];

  test('within every tolerance: the per-phase table, exit 0', async () => {
    const r = await run(['compare', base, worse, ...allWithin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^steady@2\s+rows\/s/m);
    assert.match(r.stdout, /resize time\s+1m 10s\s+1m 31s\s+\+30\.0%/);
    assert.match(r.stdout, /every change is within the tolerances/);
  });

  for (const [flag, limit] of [['--max-throughput-drop', '9'], ['--max-p99-rise', '19'], ['--max-resize-time-rise', '29']] as const) {
    test(`${flag} ${limit} is passed: exit 3, the breach named`, async () => {
      const r = await run(['compare', base, worse, ...allWithin.map((a, i) => (allWithin[i - 1] === flag ? limit : a))]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const breaches = r.stdout.split('\n').filter((l) => l.startsWith('compare: '));
      assert.ok(breaches.length > 0 && breaches.every((l) => l.includes(`is beyond ${flag} ${limit}`)), breaches.join('\n'));
    });
  }

  test('bad input: exit 2 with one line', async () => {
    assertBadInput(await run(['compare', base, join(dir, 'nope')]), 'NEW_RUN', 'no such folder');
    assertBadInput(await run(['compare', dir, base]), 'BASE_RUN', 'not a run folder');
    assertBadInput(await run(['compare', base, worse, '--max-p99-rise', 'ten']), '--max-p99-rise', 'ten', 'percentage');
    assertBadInput(await run(['compare', base, worse, '--max-throughput-drop', '-5']), '--max-throughput-drop');
    assertBadInput(await run(['compare', base]), 'NEW_RUN');
  });
});


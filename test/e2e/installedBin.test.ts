// The package as a user gets it: packed, installed into a fresh prefix, started through node_modules/.bin (a
// symlink run by `#!/usr/bin/env node`), so Node's own command-line handling applies as it does for npx.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

describe('the installed bin', { timeout: 5 * 60_000 }, () => {
  let prefix = '';
  let bin = '';
  let work = '';

  before(() => {
    prefix = mkdtempSync(join(tmpdir(), 'scy-bin-'));
    // --ignore-scripts: pack the dist/ this test run was built into, without rebuilding it under other tests' feet.
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', prefix], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', join(prefix, tarball)], { cwd: prefix, stdio: 'ignore' });
    bin = join(prefix, 'node_modules', '.bin', 'scylla-resize-test');
    work = mkdtempSync(join(tmpdir(), 'scy-bin-work-'));
  });

  after(() => rmSync(prefix, { recursive: true, force: true }));

  const run = (args: string[]) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SCY_') && !k.startsWith('NODE_')) env[k] = v;
    const r = spawnSync(bin, args, { cwd: work, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('--settings-file reaches the tool: the file is read (a bad value in it is named), a missing one is named too', () => {
    const file = join(work, 'bad.env');
    writeFileSync(file, 'SCY_CONTACT_POINTS=10.0.0.1\nSCY_PORT=eighty\n');
    const bad = run(['--settings-file', file]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^scylla-resize-test: SCY_PORT="eighty" \(--port\): expected a whole number/);
    const missing = run(['--settings-file', join(work, 'nope.env')]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--settings-file .*nope\.env: no such file/);
    assert.doesNotMatch(missing.stderr, /^node:/m, 'the tool answered, not node');
  });

  test('--help names --settings-file and not --env-file', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--settings-file <path>/);
    assert.doesNotMatch(r.stdout, /--env-file/);
  });

  test('the old --env-file: with a file present the tool says to use --settings-file', () => {
    const file = join(work, 'ok.env');
    writeFileSync(file, 'SCY_CONTACT_POINTS=10.0.0.1\n');
    const present = run(['--env-file', file]);
    assert.equal(present.code, 2, present.stderr);
    assert.match(present.stderr, /--env-file is now --settings-file/);
    assert.equal(present.stderr.trim().split('\n').length, 1);
    // Node 20 stops with exit 9 before the tool runs; a Node that leaves the option alone lets the tool answer.
    const absent = run(['--env-file', join(work, 'nope.env')]);
    if (absent.code === 9) assert.match(absent.stderr, /^node: .*nope\.env: not found/);
    else assert.equal(absent.code, 2, absent.stderr);
  });
});

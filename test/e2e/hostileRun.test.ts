import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { instantClient } from '../../src/local/instantClient.js';
import { startCloudServer } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';
import { seededRandom } from '../../src/load/rowContent.js';
import { runTool } from '../../src/run.js';
import { PASSWORD, UNSAFE_IN_EVENT, UNSAFE_IN_LOG, hostile, hostileFaults, strings } from '../helpers/hostileText.js';
import { capturedDeps, testConfig } from '../helpers/runHarness.js';
import { ACCOUNT, CLUSTER, TOKEN } from '../helpers/scalerRig.js';

// Property over whole runs: whatever text a misbehaving Cloud API sends, nothing the user gets — stdout and the
// log, timeline.ndjson, summary.json, report.html — carries a control character or a secret. The load runs
// against the in-process stand-in client, so the run takes seconds; the Cloud API is the local server, over HTTP.

// A JSON escape of such a character in a file (JSON.stringify writes C0 as \u00XX, and CR and TAB as \r, \t): an odd
// run of backslashes before it, since text that merely shows a backslash (an escaped body quoted in a message)
// is written with the backslash itself escaped.
const ESCAPED_UNSAFE = /(?<!\\)(?:\\\\)*\\(?:u00[01][0-9a-f]|u007f|u00[89][0-9a-f]|u061c|u200[ef]|u202[a-e89]|u206[6-9]|[rt])/i;

for (const seed of [11, 12]) {
  test(`a whole run shows no control character and no secret, however hostile the API text (seed ${seed})`, { timeout: 90_000 }, async () => {
    const rand = seededRandom(seed);
    const server = await startCloudServer({
      token: TOKEN,
      accountId: ACCOUNT,
      clusterId: CLUSTER,
      rf: 3,
      provider: new SimulatedProvider({ initialNodes: 3, joinMs: 300, leaveMs: 300 }),
    });
    hostileFaults(server, () => hostile(rand), CLUSTER);
    try {
      const config = testConfig({
        SCY_CONTACT_POINTS: '127.0.0.1',
        SCY_LOCAL_DC: 'datacenter1',
        SCY_LOADER_THREADS: '1',
        SCY_PASSWORD: PASSWORD,
        SCY_CLOUD_API_BASE: server.url,
        SCY_CLOUD_TOKEN: TOKEN,
        SCY_ACCOUNT_ID: String(ACCOUNT),
        SCY_CLUSTER_ID: String(CLUSTER),
        SCY_MIN_NODES: '3',
        SCY_MAX_NODES: '6',
        SCY_STABLE_SECS: '0.5',
        SCY_POLL_SECS: '0.1',
        SCY_CYCLES: '1',
        SCY_REPORT_SECS: '0.5',
        SCY_BATCH_INFLIGHT: '2',
        SCY_READ_RPS: '50',
        SCY_VERIFY_SAMPLE: '500',
        SCY_DURATION: '60s',
      });
      const deps = capturedDeps({ connect: async () => instantClient({ latencyMs: 5, keepRows: true }, deps.clock) });
      const result = await runTool(config, deps);
      const runDir = result.runDir;
      assert.ok(runDir, deps.lines.slice(-20).join('\n'));
      assert.equal(result.summary?.resizes.length, 2, 'the cycle ran through both resizes');

      const files = ['timeline.ndjson', 'summary.json', 'report.html'].map((f) => [f, readFileSync(join(runDir, f), 'utf8')] as const);
      for (const [name, text] of [['output', deps.lines.join('\n')] as const, ...files]) {
        for (const secret of [TOKEN, PASSWORD]) assert.ok(!text.includes(secret), `a secret in ${name} (seed ${seed})`);
      }
      for (const line of deps.lines) {
        assert.ok(!UNSAFE_IN_LOG.test(line), `control character in output: ${JSON.stringify(line.slice(0, 200))}`);
        for (const physical of line.split('\n')) assert.doesNotMatch(physical, /^\d\d:\d\d:\d\d \[scaler\] FORGED/);
      }
      for (const [name, text] of files) {
        assert.ok(!UNSAFE_IN_EVENT.test(text.replace(/\n/g, '')), `raw control character in ${name}`);
        assert.ok(!ESCAPED_UNSAFE.test(text), `escaped control character in ${name}: ${text.match(ESCAPED_UNSAFE)?.[0]}`);
      }
      const parsed = [...files[0]![1].trim().split('\n').map((l) => JSON.parse(l) as unknown), JSON.parse(files[1]![1]) as unknown];
      for (const text of strings(parsed)) {
        assert.ok(!UNSAFE_IN_EVENT.test(text), `control character in a timeline or summary string: ${JSON.stringify(text.slice(0, 200))}`);
        assert.ok(text.length < 5_000, `timeline or summary text of ${text.length} characters`);
      }
    } finally {
      await server.close();
    }
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/load/rowContent.js';
import { CLUSTER, TOKEN, finish, rig } from '../helpers/scalerRig.js';
import { PASSWORD, UNSAFE_IN_EVENT, UNSAFE_IN_LOG, hostile, hostileFaults, strings } from '../helpers/hostileText.js';

// Property: whatever text the Cloud API sends (ANSI escapes, CR/LF forging a log line, NUL, C1, bidi overrides,
// megabyte strings, the token or a password echoed back), nothing the scaler logs or emits carries a control
// character or a secret, and no log line grows without bound. Seeded, so a failure names a reproducible case.

for (const seed of [1, 2, 3, 4]) {
  test(`hostile API text never reaches logs or events raw (seed ${seed})`, { timeout: 30_000 }, async () => {
    const rand = seededRandom(seed);
    const r = await rig({
      before: (s) => hostileFaults(s, () => hostile(rand), CLUSTER),
    });
    const out = await finish(r);
    assert.equal(out.stopped, 'cycles-done', out.reason);

    const shown = [...r.lines, ...strings(r.events), ...strings(r.phases), ...strings(out)];
    for (const secret of [TOKEN, PASSWORD]) assert.ok(!shown.some((x) => x.includes(secret)), `a secret reached the user (seed ${seed})`);
    for (const line of r.lines) {
      assert.ok(!UNSAFE_IN_LOG.test(line), `control character in a log line: ${JSON.stringify(line.slice(0, 200))}`);
      assert.ok(line.length < 20_000, `log line of ${line.length} characters`);
      // Every physical line is one the tool wrote: a timestamped line or a row of the cluster map.
      for (const physical of line.split('\n')) {
        assert.match(physical, /^(\d\d:\d\d:\d\d |  node )/, JSON.stringify(physical.slice(0, 200)));
        assert.doesNotMatch(physical, /^\d\d:\d\d:\d\d \[scaler\] FORGED/);
      }
    }
    for (const s of [...strings(r.events), ...strings(r.phases), ...strings(out)]) {
      assert.ok(!UNSAFE_IN_EVENT.test(s), `control character in an event: ${JSON.stringify(s.slice(0, 200))}`);
      assert.ok(s.length < 5_000, `event text of ${s.length} characters`);
    }
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { Secret } from '../../src/config/secret.js';
import { phaseKey, type Phase } from '../../src/phase.js';
import { CloudApi } from '../../src/scaler/cloudApi.js';
import { PhaseFollower, type FollowerOutcome } from '../../src/scaler/phaseFollower.js';
import { Scaler, type ScalerEvent } from '../../src/scaler/scaler.js';
import { startCloudServer } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';

// Shards that do not drive the scaler follow its phases through the local Cloud API over real HTTP, read-only.

const TOKEN = 'follower-secret-token-71c2';

test('followers never POST and see the same grow/shrink phases as the scaler, in the same order and cycles', async () => {
  const server = await startCloudServer({
    token: TOKEN, accountId: 7, clusterId: 42, rf: 3,
    provider: new SimulatedProvider({ initialNodes: 3, joinMs: 300, leaveMs: 300 }),
  });
  try {
    const api = (): CloudApi => new CloudApi({ baseUrl: server.url, token: new Secret(TOKEN), accountId: 7, clusterId: 42, timeoutMs: 2000, retry: { tries: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    const common = { clock: realClock, minNodes: 3, maxNodes: 6, pollSecs: 0.05, stableSecs: 0.3, maxCycles: 1 };
    const scalerPhases: Phase[] = [];
    const events: ScalerEvent[] = [];
    const scaler = new Scaler({ ...common, api: api(), log: memoryLogger(), dryRun: false, onPhase: (p) => scalerPhases.push(p), onEvent: (e) => events.push(e) });
    const followerPhases: Phase[][] = [[], []];
    const stop = new AbortController();
    const followers = followerPhases.map((phases) =>
      new PhaseFollower({ ...common, api: api(), log: memoryLogger(), onPhase: (p) => phases.push(p) }).run(stop.signal),
    );
    const guard = setTimeout(() => stop.abort(), 20_000);
    const outcome = await scaler.run(stop.signal);
    const followed: FollowerOutcome[] = await Promise.all(followers);
    clearTimeout(guard);

    assert.equal(outcome.stopped, 'cycles-done');
    assert.equal(outcome.resizesCompleted, 2);
    const submitted = events.filter((e) => e.type === 'resize-submitted').length;
    assert.equal(submitted, 2);
    const posts = server.received.filter((r) => r.method === 'POST').length;
    assert.equal(posts, submitted, 'every POST the server saw is one of the scaler’s');
    assert.ok(server.received.filter((r) => r.method === 'GET').length > 20, 'the followers did poll');

    // Steady and resizing phases, with their cycles, in order: the sequence merge aligns shards by.
    const track = (ps: Phase[]): string[] =>
      ps.filter((p) => p.kind === 'steady' || p.kind === 'resizing').map((p) => `${'cycle' in p ? p.cycle : ''} ${phaseKey(p)}`);
    const expected = ['0 steady@3', '1 resize 3→6', '1 steady@6', '1 resize 6→3', '1 steady@3'];
    assert.deepEqual(track(scalerPhases), expected);
    for (const [i, phases] of followerPhases.entries()) {
      assert.deepEqual(track(phases), expected, `follower ${i}`);
      assert.equal(followed[i]!.stopped, 'cycles-done', `follower ${i} stops after the cycles like the scaler`);
      assert.equal(followed[i]!.resizesSeen, 2);
    }
  } finally {
    await server.close();
  }
});

test('a follower with a bad token stops with the reason and never POSTs', async () => {
  const server = await startCloudServer({ token: TOKEN, accountId: 7, clusterId: 42, rf: 3, provider: new SimulatedProvider({ initialNodes: 3, joinMs: 10, leaveMs: 10 }) });
  try {
    const log = memoryLogger();
    const follower = new PhaseFollower({
      api: new CloudApi({ baseUrl: server.url, token: new Secret('wrong-token-9d'), accountId: 7, clusterId: 42, retry: { tries: 1 } }),
      clock: realClock, log, minNodes: 3, maxNodes: 6, pollSecs: 0.05, stableSecs: 0, onPhase: () => {},
    });
    const out = await follower.run(new AbortController().signal);
    assert.equal(out.stopped, 'fatal');
    assert.match(out.reason ?? '', /Cloud API error/);
    assert.equal(server.received.filter((r) => r.method === 'POST').length, 0);
  } finally {
    await server.close();
  }
});

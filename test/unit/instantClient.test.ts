import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { instantClient } from '../../src/local/instantClient.js';
import { makeId, newRunIdentity } from '../../src/load/rowContent.js';

const select = 'SELECT * FROM ks.t WHERE id = ?';
const id = makeId(newRunIdentity(Date.now()), 7);

test('by default the stand-in answers in a microtask; with nextTurn, after the event loop has had a turn', async () => {
  for (const nextTurn of [false, true]) {
    const order: string[] = [];
    setImmediate(() => order.push('turn'));
    await instantClient({ nextTurn }).execute(select, [id]).then(() => order.push('answer'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, nextTurn ? ['turn', 'answer'] : ['answer', 'turn'], `nextTurn ${nextTurn}`);
  }
});

test('batchLatencyMs holds batches that long while reads keep latencyMs', async () => {
  const clock = new FakeClock();
  const client = instantClient({ latencyMs: 1, batchLatencyMs: 100 }, clock);
  let wrote = false;
  let read = false;
  void client.batch([{ query: 'INSERT', params: [id] }]).then(() => (wrote = true));
  void client.execute(select, [id]).then(() => (read = true));
  await clock.advance(1);
  assert.equal(read, true, 'the read is answered after latencyMs');
  assert.equal(wrote, false, 'the batch is not');
  await clock.advance(98);
  assert.equal(wrote, false);
  await clock.advance(1);
  assert.equal(wrote, true, 'the batch is answered after batchLatencyMs');
});

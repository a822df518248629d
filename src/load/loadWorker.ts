// The entry of one load worker thread: its own CQL client, its own ledger and Loader, the run's shared limit,
// read schedule and interval counter, and a recorder whose spans the main thread collects.
import { parentPort, workerData } from 'node:worker_threads';
import cassandra from 'cassandra-driver';
import { realClock } from '../clock.js';
import { Secret } from '../config/secret.js';
import type { Config } from '../config/load.js';
import { clientOptions } from '../db/connect.js';
import { describeError } from '../db/errors.js';
import { instantClient } from '../local/instantClient.js';
import type { Logger, LogLevel } from '../log.js';
import { LoaderProbe } from '../metrics/loaderProbe.js';
import { IntervalCounter, ThreadRecorder } from '../metrics/threadRecorder.js';
import { IdLedger } from './idLedger.js';
import { boardPicker, LedgerBoard } from './ledgerBoard.js';
import { Loader } from './loader.js';
import { loaderIdentity } from './rowContent.js';
import { SharedAimdLimiter } from './sharedLimiter.js';
import { SharedPacer } from './sharedPacer.js';
import type { FromWorker, Replies, ThreadHealth, ToWorker, WorkerSetup } from './threadProtocol.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker): void => port.postMessage(m);

// Lines go to the main thread's logger, which stamps, tags and redacts them like its own.
function workerLog(tag: string): Logger {
  const emit = (level: LogLevel) => (msg: string) => post({ type: 'log', level, tag, msg });
  return { info: emit('info'), warn: emit('warn'), error: emit('error'), child: (t) => workerLog(`${tag}/${t}`) };
}

async function main(): Promise<void> {
  const { connection } = setup;
  const config = { ...connection, password: connection.password === null ? undefined : new Secret(connection.password) } as Config;
  const client = setup.standIn ? instantClient(setup.standIn, realClock) : new cassandra.Client(clientOptions(config));
  try {
    await client.connect();
  } catch (err) {
    post({ type: 'setup-failed', error: describeError(err) });
    return;
  }
  const recorder = new ThreadRecorder(new IntervalCounter(setup.shared.interval), realClock, {
    loss: (kind, id, detectedBy, detail) => post({ type: 'loss', kind, id, detectedBy, ...(detail ? { detail } : {}) }),
    event: (event) => post({ type: 'event', event }),
  });
  const board = new LedgerBoard(setup.shared.ledgers);
  const ledger = new IdLedger(setup.idPoolSize, (l) => board.publish(setup.thread, l));
  const identities = Array.from({ length: setup.threads }, (_, t) => loaderIdentity(setup.run, t));
  const loader = new Loader({
    client,
    config: setup.loader,
    target: setup.target,
    identity: identities[setup.thread]!,
    ledger,
    rows: boardPicker(board, setup.thread, ledger, identities),
    limiter: new SharedAimdLimiter(setup.shared.limiter, setup.thread),
    readSchedule: new SharedPacer(setup.shared.readSchedule, realClock),
    writeSchedule: setup.shared.writeSchedule && new SharedPacer(setup.shared.writeSchedule, realClock),
    recorder,
    clock: realClock,
    log: workerLog(`t${setup.thread}`),
  });
  const probe = new LoaderProbe();
  const health = (): ThreadHealth => {
    const s = probe.sample();
    return { busyPercent: s.busiestThreadPercent, loopP99Ms: s.eventLoopDelayP99Ms };
  };

  const handle = async (req: ToWorker): Promise<Replies[ToWorker['type']]> => {
    switch (req.type) {
      case 'start':
        loader.start();
        return null;
      case 'collect':
        return {
          span: recorder.takeClosed(req.upTo)?.toWire() ?? null,
          health: health(),
          acknowledgedRows: loader.acknowledgedRows,
          readsStarted: loader.readsStarted,
        };
      case 'stop':
        loader.stop();
        return null;
      case 'drain':
        return loader.drain(req.timeoutMs);
      case 'verify':
        return loader.verify(req.limit);
      case 'ping':
        return null;
      case 'close':
        probe.stop();
        await client.shutdown();
        return null;
    }
  };
  port.on('message', (req: ToWorker) => {
    void handle(req).then((value) => {
      post({ type: 'reply', id: req.id, value });
      if (req.type === 'close') port.close();
    });
  });
  post({ type: 'ready' });
}

void main();

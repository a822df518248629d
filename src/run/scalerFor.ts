import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Phase } from '../phase.js';
import { drivesScaler } from '../config/shard.js';
import { CloudApi } from '../scaler/cloudApi.js';
import { PhaseFollower } from '../scaler/phaseFollower.js';
import { Scaler, type ScalerEvent } from '../scaler/scaler.js';

/** The scaler for a run with Cloud API settings, on shard 0 only; null for a load-only run and the other shards. */
export function scalerFor(o: {
  config: Config;
  clock: Clock;
  log: Logger;
  onPhase: (p: Phase) => void;
  onEvent: (e: ScalerEvent) => void;
}): Scaler | null {
  const { config } = o;
  if (!config.cloud || !drivesScaler(config)) return null;
  let scaler: Scaler | null = null;
  const api = new CloudApi({
    baseUrl: config.cloud.apiBase,
    token: config.cloud.token,
    accountId: config.cloud.accountId,
    clusterId: config.cloud.clusterId,
    clock: o.clock,
    // GET errors the client retries on its own still count in the scaler's error tally.
    onRetry: (e) => scaler?.noteRetry(e),
  });
  scaler = new Scaler({
    api,
    clock: o.clock,
    log: o.log.child('scaler'),
    minNodes: config.minNodes,
    maxNodes: config.maxNodes,
    pollSecs: config.pollSecs,
    stableSecs: config.stableSecs,
    dryRun: config.dryRun,
    ...(config.cycles !== undefined ? { maxCycles: config.cycles } : {}),
    ...(config.cloud.dcId !== undefined ? { dc: config.cloud.dcId } : {}),
    onPhase: o.onPhase,
    onEvent: o.onEvent,
  });
  return scaler;
}

/**
 * For the shards that do not drive the scaler (SCY_SHARD i/N, i > 0) of a run with Cloud API settings: the phase
 * follower, which reads the phase from the Cloud API with GETs only. Null for shard 0 and load-only runs.
 */
export function phaseFollowerFor(o: { config: Config; clock: Clock; log: Logger; onPhase: (p: Phase) => void }): PhaseFollower | null {
  const { config } = o;
  if (!config.cloud || drivesScaler(config)) return null;
  const { cloud } = config;
  o.log.info(`shard ${config.shard.index} of ${config.shard.count}: shard 0 drives the scaler; this shard follows its phases through the Cloud API (GETs only)`);
  return new PhaseFollower({
    api: new CloudApi({ baseUrl: cloud.apiBase, token: cloud.token, accountId: cloud.accountId, clusterId: cloud.clusterId, clock: o.clock }),
    clock: o.clock,
    log: o.log.child('phases'),
    minNodes: config.minNodes,
    maxNodes: config.maxNodes,
    pollSecs: config.pollSecs,
    stableSecs: config.stableSecs,
    ...(config.cycles !== undefined ? { maxCycles: config.cycles } : {}),
    ...(cloud.dcId !== undefined ? { dc: cloud.dcId } : {}),
    onPhase: o.onPhase,
  });
}

import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Phase } from '../phase.js';
import { CloudApi } from '../scaler/cloudApi.js';
import { Scaler, type ScalerEvent } from '../scaler/scaler.js';

/** The scaler for a run with Cloud API settings; null for a load-only run. */
export function scalerFor(o: {
  config: Config;
  clock: Clock;
  log: Logger;
  onPhase: (p: Phase) => void;
  onEvent: (e: ScalerEvent) => void;
}): Scaler | null {
  const { config } = o;
  if (!config.cloud) return null;
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

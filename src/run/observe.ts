import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { ErrorBursts } from '../metrics/errorBursts.js';
import { LoaderStrainLog } from '../metrics/loaderHealth.js';
import { Recorder, type RecorderProbes } from '../metrics/recorder.js';
import { ResizeLog } from '../metrics/resizeLog.js';
import { evaluateThresholds } from '../metrics/thresholds.js';
import { describeThreshold } from '../verdict/verdict.js';
import { ViewAgreement } from '../metrics/viewAgreement.js';
import type { Phase } from '../phase.js';
import { NdjsonWriter } from '../report/ndjson.js';

/** The recorder and everything that listens to it during the run. */
export interface Observers {
  recorder: Recorder;
  timeline: NdjsonWriter;
  views: ViewAgreement;
  strain: LoaderStrainLog;
  resizes: ResizeLog;
  /** True when SCY_ABORT_ON_FAIL stopped the run on a failed threshold (not when it failed after another stop). */
  stoppedByThreshold: () => boolean;
}

export interface ObserveOptions {
  config: Config;
  clock: Clock;
  runDir: string;
  probes: RecorderProbes;
  /** Hosts up in the local DC as the CQL driver sees them. */
  driverUpHosts: () => number;
  /** Every host address the CQL driver knows, up or down, without port. */
  driverSeenHosts: () => ReadonlySet<string>;
  /** Where a view disagreement worth telling the user now is written. */
  warn: (line: string) => void;
  /** Asks the run to stop, with the reason (SCY_ABORT_ON_FAIL); false when it was already stopping. */
  requestStop: (why: string) => boolean;
}

export function observe(o: ObserveOptions): Observers {
  const { config, clock } = o;
  const initialPhase: Phase = config.cloud ? { kind: 'waiting', cycle: 0, nodes: null, reason: 'first look at the cluster' } : { kind: 'load-only' };
  const recorder = new Recorder(clock, o.probes, initialPhase);
  const timeline = new NdjsonWriter(join(o.runDir, 'timeline.ndjson'));
  const bursts = new ErrorBursts((e) => recorder.event(e));
  const views = new ViewAgreement((e) => recorder.event(e), o.warn);
  recorder.addOutput({
    interval: (iv) => {
      timeline.write({ type: 'interval', at: iv.endMs, ...iv });
      bursts.observe(iv);
      views.check(iv.endMs, o.driverUpHosts(), iv.phase, o.driverSeenHosts());
    },
    phaseEnded: (p) => timeline.write({ type: 'phase-summary', at: p.endMs, ...p }),
    event: (e) => timeline.write(e),
  });
  const strain = new LoaderStrainLog();
  recorder.addOutput(strain);
  const resizes = new ResizeLog(() => ('cycle' in recorder.phase ? recorder.phase.cycle : 0));
  // With SCY_ABORT_ON_FAIL every threshold is checked at each interval over the phases so far (the current one
  // included once it is long enough to judge, and a resize still running against its time limit).
  let stoppedByThreshold = false;
  if (config.abortOnFail) {
    recorder.addOutput({
      interval: () => {
        const failed = evaluateThresholds(config, {
          phases: recorder.phaseReports(),
          resizes: resizes.records,
          lostRows: recorder.lossesTotal.missing + recorder.lossesTotal.corrupt,
          minPhaseMs: config.reportSecs * 1000,
          nowMs: clock.now(),
        }).filter((r) => !r.passed);
        if (failed.length > 0) {
          if (o.requestStop(`threshold failed: ${failed.map(describeThreshold).join('; ')}`)) stoppedByThreshold = true;
        }
      },
    });
  }
  return { recorder, timeline, views, strain, resizes, stoppedByThreshold: () => stoppedByThreshold };
}

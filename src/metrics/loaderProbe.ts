import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { LoaderSample } from './span.js';

const RESOLUTION_MS = 10;

// The loader's own health, so a report can say when the client, not the cluster, was the limit.
export class LoaderProbe {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor() {
    this.loop.enable();
  }

  /** Figures since the previous sample. */
  sample(): LoaderSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = (now - this.lastAt) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const mem = process.memoryUsage();
    // The sampler's own timer period is part of each sample: an idle loop would read RESOLUTION_MS.
    const p99 = this.loop.count > 0 ? Math.max(0, this.loop.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
    this.loop.reset();
    return {
      cpuPercent: elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0,
      eventLoopDelayP99Ms: p99,
      rssMb: mem.rss / 2 ** 20,
      heapMb: mem.heapUsed / 2 ** 20,
    };
  }

  stop(): void {
    this.loop.disable();
  }
}

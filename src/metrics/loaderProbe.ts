import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { LoaderSample } from './span.js';

const RESOLUTION_MS = 10;

// The loader's own health, so a report can say when the client, not the cluster, was the limit. CPU and memory
// are the process's; event-loop utilisation and delay are the calling thread's (each worker has its own probe).
export class LoaderProbe {
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
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
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    return {
      cpuPercent: elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0,
      busiestThreadPercent: elu.utilization * 100,
      eventLoopDelayP99Ms: p99,
      rssMb: mem.rss / 2 ** 20,
      heapMb: mem.heapUsed / 2 ** 20,
    };
  }

  stop(): void {
    this.loop.disable();
  }
}

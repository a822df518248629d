// Cost of hdr-histogram-js 'packed' vs 32-bit buckets (record, add, percentiles), and an idle monitorEventLoopDelay reading.
// node bench/histogramCost.mjs
import * as hdr from 'hdr-histogram-js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
for (const b of ['packed', 32]) {
  const mk = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: b, useWebAssembly: false });
  const h = mk();
  let t = performance.now();
  for (let i = 0; i < 1e6; i++) h.recordValue(500 + (i * 7919) % 200000);
  const rec = (performance.now() - t) * 1000 / 1e6;
  const total = mk();
  t = performance.now();
  for (let k = 0; k < 20; k++) total.add(h);
  const add = (performance.now() - t) / 20;
  t = performance.now();
  for (let k = 0; k < 20; k++) { h.getValueAtPercentile(50); h.getValueAtPercentile(99); h.getValueAtPercentile(99.9); h.mean; }
  const st = (performance.now() - t) / 20;
  t = performance.now(); for (let k = 0; k < 20; k++) mk(); const ctor = (performance.now()-t)/20;
  console.log(b, 'record µs', rec.toFixed(3), 'add ms', add.toFixed(2), 'stats ms', st.toFixed(2), 'new ms', ctor.toFixed(2), 'mem', h.estimatedFootprintInBytes);
}
const e = monitorEventLoopDelay({ resolution: 10 }); e.enable();
setTimeout(() => { console.log('idle eld p50', e.percentile(50)/1e6, 'p99', e.percentile(99)/1e6, 'min', e.min/1e6); }, 1000);

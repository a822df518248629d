// The code that draws the report's charts inside the browser. It is written here, type-checked, and embedded
// into the HTML as source text (`drawReport.toString()`), so it must not use anything from this module's scope.

import type uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Right-hand axis, for a series whose magnitude differs (reads/s next to rows/s). */
  right?: boolean;
  dash?: number[];
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  rightUnit?: string;
  log: boolean;
  stepped: boolean;
  series: ChartSeries[];
}

export interface ChartData {
  /** Interval end times, seconds since the epoch (uPlot's x unit). */
  t: number[];
  charts: ChartSpec[];
  phases: { start: number; end: number; kind: string; key: string; label: string }[];
  markers: { at: number; tone: 'up' | 'down' | 'resize' | 'loss'; text: string }[];
}

declare global {
  interface Window {
    __charts?: { id: string; points: number[] }[];
    __reportReady?: boolean;
  }
}

export function drawReport(): void {
  const UPlot = (window as unknown as { uPlot: typeof uPlot }).uPlot;
  const data = JSON.parse(document.getElementById('data')!.textContent!) as ChartData;
  const utc = (ts: number): Date => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
  // Every time in the report is UTC, whatever the viewer's zone, so it lines up with the summary and logs.
  const clock = (ts: number | null): string => (ts === null ? '–' : new Date(ts * 1000).toISOString().slice(11, 19));

  // Phase bands and event markers are DOM elements over the plot, not canvas paint, so they carry tooltips
  // and can be found and counted.
  function overlay(u: uPlot): void {
    const layer = document.createElement('div');
    layer.className = 'overlay';
    u.over.appendChild(layer);
    const place = (): void => {
      layer.replaceChildren();
      const width = u.over.clientWidth;
      const x = (s: number): number => Math.max(0, Math.min(width, u.valToPos(s, 'x')));
      for (const p of data.phases) {
        const band = document.createElement('div');
        band.className = `phase-band phase-${p.kind}`;
        band.style.left = `${x(p.start)}px`;
        band.style.width = `${Math.max(0, x(p.end) - x(p.start))}px`;
        band.title = p.label;
        const label = document.createElement('span');
        label.textContent = p.key;
        band.appendChild(label);
        layer.appendChild(band);
      }
      for (const m of data.markers) {
        const mark = document.createElement('div');
        mark.className = `event-marker event-${m.tone}`;
        mark.style.left = `${x(m.at)}px`;
        mark.title = `${clock(m.at)} UTC · ${m.text}`;
        layer.appendChild(mark);
      }
    };
    place();
    u.hooks.setSize = [...(u.hooks.setSize ?? []), place];
    u.hooks.setScale = [...(u.hooks.setScale ?? []), place];
  }

  const AXIS_SIZE = 64;
  const LABEL_SIZE = 30;

  function draw(spec: ChartSpec, host: HTMLElement): uPlot {
    const fmt = (v: number | null): string => (v === null ? '–' : `${+v.toPrecision(3)} ${spec.unit}`);
    const opts: uPlot.Options = {
      width: host.clientWidth,
      height: 240,
      tzDate: utc,
      // Charts without a right axis keep its width as padding, so all plots share one x position per time.
      padding: [12, spec.rightUnit ? 0 : AXIS_SIZE + LABEL_SIZE, 0, 0],
      cursor: { sync: { key: 'report' } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: spec.log ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
        y2: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        { space: 90, values: (_u, splits) => splits.map((s) => clock(s).replace(/:00$/, '')) },
        { label: spec.unit, size: AXIS_SIZE, labelSize: LABEL_SIZE },
        ...(spec.rightUnit
          ? [{ scale: 'y2', side: 1, label: spec.rightUnit, size: AXIS_SIZE, labelSize: LABEL_SIZE, grid: { show: false } }]
          : []),
      ],
      series: [
        { label: 'UTC', value: (_u: uPlot, v: number | null) => clock(v) },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          points: { show: false },
          scale: s.right ? 'y2' : 'y',
          value: (_u: uPlot, v: number | null) => fmt(v),
          ...(s.dash ? { dash: s.dash } : {}),
          ...(spec.stepped ? { paths: UPlot.paths.stepped!({ align: 1 }), fill: `${s.color}33` } : {}),
        })),
      ],
      hooks: { ready: [overlay] },
    };
    return new UPlot(opts, [data.t, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, host);
  }

  const plots = data.charts.map((spec) => draw(spec, document.getElementById(`chart-${spec.id}`)!));
  window.addEventListener('resize', () => {
    for (const u of plots) u.setSize({ width: u.root.parentElement!.clientWidth, height: 240 });
  });
  window.__charts = data.charts.map((spec, i) => ({
    id: spec.id,
    points: plots[i]!.data
      .slice(1)
      .map((col) => Array.from(col as ArrayLike<number | null>).filter((v) => v !== null && v !== undefined).length),
  }));
  window.__reportReady = true;
}

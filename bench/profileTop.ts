// Top self-time functions of a .cpuprofile (node --cpu-prof): node dist/bench/profileTop.js FILE [N]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelf(profile: Profile, n = 25): { name: string; selfPct: number; totalPct: number }[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (x: Node): string => {
    const f = x.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)?/, '');
    return `${f.functionName || '(anon)'} ${file}:${f.lineNumber + 1}`;
  };
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  let all = 0;
  for (const [id, t] of self) {
    all += t;
    const x = byId.get(id)!;
    selfBy.set(label(x), (selfBy.get(label(x)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      totalBy.set(l, (totalBy.get(l) ?? 0) + t);
    }
  }
  return [...selfBy.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, t]) => ({ name, selfPct: (t / all) * 100, totalPct: ((totalBy.get(name) ?? 0) / all) * 100 }));
}

if (process.argv[2]) {
  const p = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile;
  for (const r of topSelf(p, Number(process.argv[3] ?? 30))) {
    console.log(`${r.selfPct.toFixed(1).padStart(5)}% self ${r.totalPct.toFixed(1).padStart(5)}% total  ${r.name}`);
  }
}

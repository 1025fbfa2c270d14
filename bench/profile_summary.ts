/**
 * Where a V8 CPU profile (.cpuprofile, as written by --cpu-prof or the inspector) spent its time:
 * self time and inclusive time per function. `tsx bench/profile_summary.ts FILE [N]` prints the top N.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  fn: string;
  ms: number;
  share: number;
}

const label = (n: ProfileNode) => {
  const file = n.callFrame.url ? n.callFrame.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/') : '';
  return `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
};

export function summariseProfile(file: string, top = 15): { totalMs: number; busyMs: number; self: ProfileLine[]; inclusive: ProfileLine[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const timeOf = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    timeOf.set(id, (timeOf.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const [id, t] of timeOf) {
    const node = byId.get(id)!;
    const name = label(node);
    if (name === '(idle)') idle += t;
    self.set(name, (self.get(name) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = label(byId.get(cur)!);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + t);
    }
  }
  const busy = total - idle;
  const list = (m: Map<string, number>) =>
    [...m]
      .filter(([fn]) => fn !== '(idle)' && fn !== '(root)' && fn !== '(program)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: Math.round((1000 * us) / Math.max(1, busy)) / 10 }));
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), self: list(self), inclusive: list(inclusive) };
}

export function formatProfile(s: ReturnType<typeof summariseProfile>): string {
  const rows = (lines: ProfileLine[]) => lines.map((l) => `  ${String(l.ms).padStart(7)} ms ${l.share.toFixed(1).padStart(5)}%  ${l.fn}`).join('\n');
  return [`busy ${s.busyMs} ms of ${s.totalMs} ms (shares are of busy time)`, 'self time:', rows(s.self), 'inclusive time:', rows(s.inclusive)].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile_summary.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(formatProfile(summariseProfile(file, Number(process.argv[3] ?? 25))));
}

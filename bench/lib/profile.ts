import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileSummary {
  file: string;
  /** The window summarized: the last N ms of the profile, or the whole process life. */
  window: string;
  /** Share of non-idle samples per area (package, src/ folder, runtime), largest first. */
  areas: { area: string; share: number }[];
  /** Functions with the most self time, share of non-idle samples. */
  functions: { name: string; share: number }[];
  /** Share of all samples in which the process was idle (waiting on I/O: database, Redis, sockets). */
  idle: number;
}

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node: core';
  const src = url.indexOf('/src/');
  if (src >= 0)
    return `app ${url
      .slice(src + 1)
      .split('/')
      .slice(0, 3)
      .join('/')}`;
  return url;
}

/**
 * The newest main-thread profile among `files` (Node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; worker threads — file inspection — write
 * their own, thread ≥ 1).
 */
export function mainThreadProfile(files: string[]): string | undefined {
  const profiles = files.filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = profiles.filter((f) => basename(f).split('.')[4] === '0');
  return main.at(-1) ?? profiles.at(-1);
}

/** Self-time summary of the newest main-thread .cpuprofile in `dir`. */
export function summarizeProfile(dir: string, top = 12, lastMs?: number): ProfileSummary {
  const file = mainThreadProfile(readdirSync(dir));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: ProfileNode[];
    endTime: number;
    startTime: number;
    samples?: number[];
    timeDeltas?: number[];
  };
  if (lastMs !== undefined && profile.samples && profile.timeDeltas) {
    // Only the samples of the last `lastMs` before the profile ended (the load, not the start-up).
    const from = profile.endTime - lastMs * 1000;
    const hits = new Map<number, number>();
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas![i];
      if (t >= from) hits.set(id, (hits.get(id) ?? 0) + 1);
    });
    for (const node of profile.nodes) node.hitCount = hits.get(node.id) ?? 0;
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idle += hits;
    if (!hits || functionName === '(idle)') continue;
    total += hits;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + hits);
    const name =
      `${functionName || '(anonymous)'} ${url ? `${areaOf(url, '')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + hits);
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => ({ k, share: Math.round((v / total) * 1000) / 10 }));
  return {
    file: join(dir, file),
    window:
      lastMs === undefined
        ? 'whole process life, start-up included'
        : `last ${Math.round(lastMs / 1000)} s: under load, start-up excluded`,
    areas: ranked(areas).map(({ k, share }) => ({ area: k, share })),
    functions: ranked(functions).map(({ k, share }) => ({ name: k, share })),
    idle: Math.round((idle / (idle + total)) * 1000) / 10,
  };
}

export function formatSummary(s: ProfileSummary): string[] {
  return [
    `CPU profile ${process.env.BENCH_KEEP_PROFILES ? s.file : '(removed after the run; BENCH_KEEP_PROFILES=1 keeps the .cpuprofile)'} (${s.window}): idle ${s.idle} % of samples; busy self time by area: ${s.areas.map((a) => `${a.area} ${a.share} %`).join(', ')}`,
    `Hottest functions (self): ${s.functions.map((f) => `${f.name} ${f.share} %`).join('; ')}`,
  ];
}

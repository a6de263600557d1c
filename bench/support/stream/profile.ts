import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  fn: string;
  where: string;
  selfPct: number;
}

/**
 * The functions with the most self time in a V8 `.cpuprofile`, counting only samples taken
 * within [fromUs, toUs] when given (V8 timestamps are the machine's monotonic clock in µs,
 * the same clock as process.hrtime), so boot and compile time stay out of it.
 */
export function hotspots(
  file: string,
  top = 15,
  fromUs?: number,
  toUs?: number,
): {
  samples: number;
  spots: Hotspot[];
  byPackage: { pkg: string; selfPct: number }[];
} {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (fromUs !== undefined && t < fromUs) continue;
    if (toUs !== undefined && t > toUs) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + 1);
    counted += 1;
  }
  const byFn = new Map<string, { fn: string; where: string; n: number }>();
  const byPkg = new Map<string, number>();
  for (const [id, n] of self) {
    const frame = byId.get(id)!.callFrame;
    const where = shortUrl(frame.url);
    const fn = frame.functionName || (frame.url ? '(anonymous)' : `(${where || 'native'})`);
    const key = `${fn}@${where}:${frame.lineNumber + 1}`;
    const entry = byFn.get(key) ?? { fn, where: `${where}:${frame.lineNumber + 1}`, n: 0 };
    entry.n += n;
    byFn.set(key, entry);
    const pkg = packageOf(frame.url, frame.functionName);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n);
  }
  const pct = (n: number) => Math.round((n / Math.max(1, counted)) * 1000) / 10;
  return {
    samples: counted,
    spots: [...byFn.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, selfPct: pct(e.n) })),
    byPackage: [...byPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([pkg, n]) => ({ pkg, selfPct: pct(n) })),
  };
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

function packageOf(url: string, fn: string): string {
  if (!url)
    return fn === '(garbage collector)' ? '(gc)' : fn === '(idle)' ? '(idle)' : '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/src/')) return 'src (the service)';
  return url;
}

/** A few lines of text naming where the time went. */
export function describeProfile(file: string, fromUs?: number, toUs?: number): string[] {
  const { samples, spots, byPackage } = hotspots(file, 12, fromUs, toUs);
  return [
    `profile ${file} (${samples} samples in the measured window)`,
    `self time by package: ${byPackage.map((p) => `${p.pkg} ${p.selfPct}%`).join(', ')}`,
    `top functions (self): ${spots.map((s) => `${s.fn} [${s.where}] ${s.selfPct}%`).join('; ')}`,
  ];
}

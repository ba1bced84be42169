/** Self time of a V8 CPU profile (`.cpuprofile`), by package and by function: where the time goes. */

export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
  }>;
  readonly samples: readonly number[];
}

/**
 * Prints the share of samples each function was on top of the stack. V8 inlines small callees into
 * their callers, so an inlined function's time shows under its caller.
 */
export function summarizeProfile(profile: CpuProfile, title: string, limit = 30): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*?\/(node_modules\/|src\/|bench\/)/, '$1');
    const name = `${frame.functionName || '(anonymous)'}  ${file}`;
    self.set(name, (self.get(name) ?? 0) + 1);
    const where = areaOf(file, frame.functionName);
    area.set(where, (area.get(where) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const lines = (entries: Map<string, number>, count: number): string[] =>
    [...entries]
      .sort((x, y) => y[1] - x[1])
      .slice(0, count)
      .map(([name, samples]) => `${((samples / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  return [`${title}: ${total} samples`, ...lines(area, 10), '', ...lines(self, limit)].join('\n');
}

function areaOf(file: string, functionName: string): string {
  if (file.startsWith('src/')) return 'ttlog (src/)';
  if (file.startsWith('node_modules/'))
    return file
      .split('/')
      .slice(1, file.startsWith('node_modules/@') ? 3 : 2)
      .join('/');
  if (file.startsWith('bench/')) return 'benchmark loop (bench/)';
  if (file.startsWith('node:')) return 'Node.js internals';
  return functionName === '' ? '(no script)' : functionName;
}

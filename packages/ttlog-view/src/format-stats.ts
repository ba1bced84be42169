/**
 * `--stats`: a summary per file and overall — counts by severity, scope and service, the time
 * range, the ring's loss counters from the header, the reason and, for crashes, the cause.
 * Counts are of the records that pass the filters, each record once: the copies that
 * overlapping snapshots of one ring hold are counted apart, per file and overall.
 */
import type { AnyValue, SnapshotCounters, SnapshotDamage, SnapshotMerge } from 'ttlog';
import { isoNanos, jsonAttributes } from './format-json.ts';
import { TextFormatter } from './format-text.ts';
import { SEVERITY_NAMES, severityRange } from './severity.ts';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { attributeValueText, isoText, terminalText } from './values.ts';

/** Counts over a set of records. */
export class RecordTally {
  records = 0;
  first: bigint | undefined;
  last: bigint | undefined;
  readonly severities = new Map<string, number>();
  readonly scopes = new Map<string, number>();
  readonly services = new Map<string, number>();

  add({ record, source }: ViewRecord): void {
    this.records++;
    if (this.first === undefined || record.timestamp < this.first) this.first = record.timestamp;
    if (this.last === undefined || record.timestamp > this.last) this.last = record.timestamp;
    increment(this.severities, severityRange(record.severityNumber) ?? 'UNSPECIFIED');
    increment(this.scopes, record.scope.name || '(none)');
    increment(this.services, source.metadata.service || 'unknown');
  }

  toJSON() {
    return {
      records: this.records,
      first: this.first === undefined ? null : isoNanos(this.first),
      last: this.last === undefined ? null : isoNanos(this.last),
      severities: Object.fromEntries(this.severities),
      scopes: Object.fromEntries(this.scopes),
      services: Object.fromEntries(this.services),
    };
  }
}

/** The copies of records a merge left out (the library's `SnapshotMerge`), read once the timeline is done. */
export type DuplicateCounts = Pick<SnapshotMerge<SnapshotSource>, 'duplicates' | 'duplicatesFrom'>;

/** `2000 duplicate records merged …`: what the outputs say when overlapping snapshots of one ring held the same records. */
export function duplicatesText(duplicates: number): string {
  return `${duplicates} duplicate record${duplicates === 1 ? '' : 's'} merged (held by more than one snapshot of the same ring; each record is shown once)`;
}

/** Collects the tallies while the timeline streams past. */
export class StatsCollector {
  readonly overall = new RecordTally();
  readonly perFile = new Map<SnapshotSource, RecordTally>();

  constructor(
    readonly sources: readonly SnapshotSource[],
    private readonly merged: DuplicateCounts,
  ) {
    for (const source of sources) this.perFile.set(source, new RecordTally());
  }

  add(item: ViewRecord): void {
    this.overall.add(item);
    this.perFile.get(item.source)!.add(item);
  }

  /** The summary as one JSON document. */
  toJSON() {
    return {
      files: this.sources.map((source) => ({
        file: source.path,
        service: source.metadata.service,
        hostname: source.metadata.hostname,
        pid: source.metadata.pid,
        ring: source.metadata.ring ?? null,
        reason: source.metadata.reason,
        createdAt: isoText(source.metadata.createdAt),
        formatVersion: `${source.metadata.formatVersion.major}.${source.metadata.formatVersion.minor}`,
        recordsInFile: source.metadata.records,
        counters: source.metadata.counters,
        ...(source.metadata.cause === undefined ? {} : { cause: jsonAttributes(source.metadata.cause) }),
        damage: source.reader.damage,
        ...this.perFile.get(source)!.toJSON(),
        duplicates: this.merged.duplicatesFrom(source),
      })),
      overall: { files: this.sources.length, ...this.overall.toJSON(), duplicates: this.merged.duplicates },
    };
  }

  /** The summary as text lines, each with its terminal-active characters escaped (values.ts). */
  toText(options: { readonly utc: boolean }): string[] {
    const times = new TextFormatter({ utc: options.utc, color: false });
    const lines: string[] = [];
    for (const source of this.sources) {
      const meta = source.metadata;
      const tally = this.perFile.get(source)!;
      lines.push(`${source.label} on ${meta.hostname || 'unknown host'} — ${source.path}`);
      lines.push(
        `  reason: ${meta.reason}   created: ${isoText(meta.createdAt)}   format ${meta.formatVersion.major}.${meta.formatVersion.minor}, written by ${meta.producer.name} ${meta.producer.version}`,
      );
      lines.push(
        `  records: ${tally.records} shown of ${meta.records} in the file${duplicatesOfFile(this.merged.duplicatesFrom(source))}${rangeText(tally, times)}`,
      );
      lines.push(`  ring: ${countersText(meta.counters)}`);
      lines.push(...tallyLines(tally, false));
      if (meta.cause !== undefined) lines.push(...causeLines(meta.cause));
      for (const damage of source.reader.damage) lines.push(`  damage: ${damageText(damage)}`);
    }
    const overall = this.overall;
    lines.push(`overall: ${this.sources.length} file${this.sources.length === 1 ? '' : 's'}, ${overall.records} records${rangeText(overall, times)}`);
    if (this.merged.duplicates > 0) lines.push(`  ${duplicatesText(this.merged.duplicates)}`);
    lines.push(...tallyLines(overall, true));
    // Names, paths, the reason, the cause and damage messages all come from files: escaped here
    // at the end, once for all of them, after a multi-line cause was split into its lines.
    return lines.map(terminalText);
  }
}

function tallyLines(tally: RecordTally, withServices: boolean): string[] {
  const lines = [`  severity: ${countsText(tally.severities, severityOrder) || '-'}`, `  scopes: ${countsText(tally.scopes) || '-'}`];
  if (withServices) lines.push(`  services: ${countsText(tally.services) || '-'}`);
  return lines;
}

function duplicatesOfFile(duplicates: number): string {
  return duplicates === 0 ? '' : ` (${duplicates} already shown from an earlier snapshot of its ring)`;
}

function rangeText(tally: RecordTally, times: TextFormatter): string {
  if (tally.first === undefined || tally.last === undefined) return '';
  const seconds = Number(tally.last - tally.first) / 1e9;
  return `, ${times.time(tally.first)} → ${times.time(tally.last)} (${seconds.toFixed(3)} s)`;
}

function countersText(counters: SnapshotCounters): string {
  return `written ${counters.written}, captured ${counters.captured}, overwritten ${counters.overwritten}, skipped ${counters.skipped}, truncated ${counters.truncated}, dropped ${counters.dropped}`;
}

function causeLines(cause: Record<string, AnyValue>): string[] {
  const lines = ['  cause:'];
  for (const [key, value] of Object.entries(cause)) {
    if (typeof value === 'string' && value.includes('\n')) {
      lines.push(`    ${key}:`, ...value.split('\n').map((line) => `      ${line}`));
    } else {
      lines.push(`    ${key}: ${attributeValueText(value)}`);
    }
  }
  return lines;
}

function damageText(damage: SnapshotDamage): string {
  return `${damage.code} at byte ${damage.offset}${damage.records === undefined ? '' : `, ${damage.records} records lost`}: ${damage.message}`;
}

/** `http 90, db 8`: most frequent first, unless `order` says otherwise. */
function countsText(counts: Map<string, number>, order?: (a: string, b: string) => number): string {
  const entries = [...counts].sort(order === undefined ? (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1) : (a, b) => order(a[0], b[0]));
  return entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

/** TRACE before DEBUG … before FATAL, records without a severity last. */
function severityOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const index = SEVERITY_NAMES.indexOf(name as never);
    return index < 0 ? SEVERITY_NAMES.length : index;
  };
  return rank(a) - rank(b);
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

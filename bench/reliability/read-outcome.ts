/**
 * Reads a mutated snapshot the ways a user can (`readSnapshot`, strict and not, and
 * `openSnapshot(...).last(n)`) and sorts what happened into one outcome, judged against the
 * records of the file it was made from.
 */
import { isDeepStrictEqual } from 'node:util';
import { openSnapshot, readSnapshot, type Snapshot, SnapshotFormatError, type SnapshotRecord } from '../../src/index.ts';

/**
 * What a read of a mutated file did, worst first:
 * - `untyped-error`: something other than a `SnapshotFormatError` with a code was thrown;
 * - `silent-wrong`: records that differ from the original's (changed, extra, repeated or out of
 *   order), or a different header, with no damage reported; strict or not;
 * - `wrong-with-damage`: damage was reported, but the records returned are not the original's in
 *   order (some may be missing; none may be changed, repeated or moved);
 * - `inconsistent`: the read paths disagree (strict read returns where the plain one reports
 *   damage, or `last(n)` differs from the plain read's tail);
 * - `forgery-accepted`: a forged file (valid checksums over edited content) read without damage
 *   to records that differ from the original, which a checksum cannot prevent;
 * - `reported`: a `SnapshotFormatError` with a code, or damage reported and the original's records
 *   returned in order with some missing;
 * - `intact`: the original's header and records, no damage.
 * `hang` is given by the runner when an input takes longer than its time bound.
 */
export type Outcome = 'hang' | 'untyped-error' | 'silent-wrong' | 'wrong-with-damage' | 'inconsistent' | 'forgery-accepted' | 'reported' | 'intact';

/** Outcomes, worst first; the table's order. */
export const OUTCOMES: readonly Outcome[] = [
  'hang',
  'untyped-error',
  'silent-wrong',
  'wrong-with-damage',
  'inconsistent',
  'forgery-accepted',
  'reported',
  'intact',
];

/** Outcomes that are defects of the reader, whatever the input. */
export const DEFECTS: ReadonlySet<Outcome> = new Set(['hang', 'untyped-error', 'silent-wrong', 'wrong-with-damage', 'inconsistent']);

/** An original file's content, indexed so a record read back is found in constant time. */
export interface GroundTruth {
  readonly snapshot: Snapshot;
  /** `lane:seq` → position in the original's records. */
  readonly positions: ReadonlyMap<string, number>;
}

function recordKey(record: SnapshotRecord): string {
  return `${record.lane ?? 0}:${record.seq}`;
}

export function groundTruth(snapshot: Snapshot): GroundTruth {
  return { snapshot, positions: new Map(snapshot.records.map((record, position) => [recordKey(record), position])) };
}

/** The records are the original's, in order, with none repeated (some may be missing). */
function isOrderedSubset(records: readonly SnapshotRecord[], truth: GroundTruth): boolean {
  let previous = -1;
  for (const record of records) {
    const position = truth.positions.get(recordKey(record));
    if (position === undefined || position <= previous || !isDeepStrictEqual(record, truth.snapshot.records[position])) return false;
    previous = position;
  }
  return true;
}

/** An outcome and, for a defect, what was seen. */
export interface ReadVerdict {
  readonly outcome: Outcome;
  readonly detail?: string;
}

type Attempt<T> = { readonly value: T } | { readonly error: unknown };

async function attempt<T>(read: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { value: await read() };
  } catch (error) {
    return { error };
  }
}

function isTyped(error: unknown): boolean {
  return error instanceof SnapshotFormatError && typeof error.code === 'string' && error.code.length > 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error);
}

/** The outcome of a plain (not strict) read. */
function plainOutcome(read: Attempt<Snapshot>, truth: GroundTruth, forged: boolean): ReadVerdict {
  if ('error' in read) return isTyped(read.error) ? { outcome: 'reported' } : { outcome: 'untyped-error', detail: describe(read.error) };
  const { metadata, records, damage } = read.value;
  if (damage.length > 0) {
    if (forged || isOrderedSubset(records, truth)) return { outcome: 'reported' };
    return {
      outcome: 'wrong-with-damage',
      detail: `damage ${damage.map((entry) => entry.code).join(', ')}; ${records.length} records not the original's in order`,
    };
  }
  if (isDeepStrictEqual(metadata, truth.snapshot.metadata) && isDeepStrictEqual(records, truth.snapshot.records)) return { outcome: 'intact' };
  if (forged) return { outcome: 'forgery-accepted' };
  return { outcome: 'silent-wrong', detail: `${records.length} records (original ${truth.snapshot.records.length}), no damage reported` };
}

/** The strict read agrees with the plain one: it throws exactly when the plain one reports damage. */
function strictAgrees(strict: Attempt<Snapshot>, plain: Attempt<Snapshot>): ReadVerdict | undefined {
  if ('error' in strict) {
    if (!isTyped(strict.error)) return { outcome: 'untyped-error', detail: `strict: ${describe(strict.error)}` };
    if ('value' in plain && plain.value.damage.length === 0)
      return { outcome: 'inconsistent', detail: `strict threw ${describe(strict.error)}, plain read no damage` };
    return undefined;
  }
  if ('error' in plain) return { outcome: 'inconsistent', detail: `strict read returned, plain threw ${describe(plain.error)}` };
  if (plain.value.damage.length > 0)
    return { outcome: 'silent-wrong', detail: `strict read returned although the plain read reports ${plain.value.damage[0]!.code}` };
  if (!isDeepStrictEqual(strict.value.records, plain.value.records))
    return { outcome: 'inconsistent', detail: 'strict and plain reads returned different records' };
  return undefined;
}

/** `last(count)` agrees with the plain read: the same tail when nothing is damaged, the original's records in order otherwise. */
async function lastAgrees(bytes: Buffer, count: number, plain: Attempt<Snapshot>, truth: GroundTruth, forged: boolean): Promise<ReadVerdict | undefined> {
  const last = await attempt(async () => {
    const reader = await openSnapshot(bytes);
    return { records: await reader.last(count), damage: reader.damage };
  });
  if ('error' in last) return isTyped(last.error) ? undefined : { outcome: 'untyped-error', detail: `last(${count}): ${describe(last.error)}` };
  if ('value' in plain && plain.value.damage.length === 0) {
    const tail = plain.value.records.slice(Math.max(0, plain.value.records.length - count));
    return isDeepStrictEqual(last.value.records, tail) && last.value.damage.length === 0
      ? undefined
      : { outcome: 'inconsistent', detail: `last(${count}) differs from the plain read's tail` };
  }
  if (!forged && !isOrderedSubset(last.value.records, truth))
    return { outcome: 'wrong-with-damage', detail: `last(${count}) returned records not the original's in order` };
  return undefined;
}

/**
 * Reads `bytes` plainly and strictly, and every `lastEvery`th input also with `last(n)`; returns
 * the worst outcome. `forged` says the input's checksums were recomputed over edited content.
 */
export async function readOutcome(bytes: Buffer, truth: GroundTruth, forged: boolean, lastCount: number | undefined): Promise<ReadVerdict> {
  const plain = await attempt(() => readSnapshot(bytes));
  const strict = await attempt(() => readSnapshot(bytes, { strict: true }));
  const verdicts = [plainOutcome(plain, truth, forged), strictAgrees(strict, plain)];
  if (lastCount !== undefined) verdicts.push(await lastAgrees(bytes, lastCount, plain, truth, forged));
  return worst(verdicts);
}

function worst(verdicts: readonly (ReadVerdict | undefined)[]): ReadVerdict {
  let result: ReadVerdict = { outcome: 'intact' };
  for (const verdict of verdicts) if (verdict !== undefined && OUTCOMES.indexOf(verdict.outcome) < OUTCOMES.indexOf(result.outcome)) result = verdict;
  return result;
}

/**
 * The marker beside a snapshot file that says how much of it is handed off: `NAME.bin.handoff`,
 * a small JSON file written atomically (a temp file renamed over it), so a reader finds the old
 * marker or the new one, never half of one. The snapshot file itself is never changed or renamed:
 * the viewer and retention go on reading and pruning it as before.
 *
 * - `done`: every record of the file is handed off (or the file holds none that can be read);
 * - `read`: the records of the file, in file order, handed off so far by a recovery that may not
 *   have finished (a start killed mid-way), so the next one goes on after them;
 * - `ring` and `lanes`: what the process that wrote the file had already handed off live when it
 *   wrote it (handed-off-tickets.ts), so those records are not sent a second time.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LaneTickets } from './handed-off-tickets.ts';

/** What a marker's name adds to its snapshot file's name. */
export const MARKER_SUFFIX = '.handoff';

/** A marker's content (its fields are described at the top of this file). */
export interface HandoffMarker {
  /** Every record of the file is handed off. */
  readonly done: boolean;
  /** Records of the file, in file order, that a recovery has handed off so far. */
  readonly read: number;
  /** The id (hex) of the ring whose live hand-offs `lanes` describes. */
  readonly ring?: string | undefined;
  /** What the writing process had handed off live, per lane. */
  readonly lanes?: readonly LaneTickets[] | undefined;
}

const VERSION = 1;

/** The marker's path beside the snapshot file at `snapshotPath`. */
function markerPath(snapshotPath: string): string {
  return `${snapshotPath}${MARKER_SUFFIX}`;
}

/** The marker of a snapshot file, `undefined` when it has none; a marker that does not parse counts as none. */
export async function readMarker(snapshotPath: string): Promise<HandoffMarker | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(markerPath(snapshotPath), 'utf8');
  } catch {
    return undefined;
  }
  return parseMarker(text);
}

/** Writes the marker of the snapshot file at `snapshotPath`, replacing any old one whole; rejects on I/O errors. */
export async function writeMarker(snapshotPath: string, marker: HandoffMarker): Promise<void> {
  const path = markerPath(snapshotPath);
  const temp = tempPath(path);
  try {
    await fs.promises.writeFile(temp, markerText(marker), { mode: 0o600 });
    await fs.promises.rename(temp, path);
  } catch (error) {
    await fs.promises.unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** {@link writeMarker} for crash paths, where the event loop may not turn again. */
export function writeMarkerSync(snapshotPath: string, marker: HandoffMarker): void {
  const path = markerPath(snapshotPath);
  const temp = tempPath(path);
  try {
    fs.writeFileSync(temp, markerText(marker), { mode: 0o600 });
    fs.renameSync(temp, path);
  } catch (error) {
    try {
      fs.unlinkSync(temp);
    } catch {
      // never written
    }
    throw error;
  }
}

function markerText(marker: HandoffMarker): string {
  return JSON.stringify({ version: VERSION, ...marker });
}

/** A dot file, which the viewer and retention pass over. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

function parseMarker(text: string): HandoffMarker | undefined {
  try {
    const value = JSON.parse(text) as Partial<HandoffMarker> & { version?: unknown };
    if (value.version !== VERSION || typeof value.done !== 'boolean' || !Number.isSafeInteger(value.read)) return undefined;
    const lanes = Array.isArray(value.lanes) && value.lanes.every(isLaneTickets) ? value.lanes : undefined;
    return { done: value.done, read: value.read!, ring: typeof value.ring === 'string' ? value.ring : undefined, lanes };
  } catch {
    return undefined;
  }
}

function isLaneTickets(value: unknown): value is LaneTickets {
  const lane = value as Partial<LaneTickets> | null;
  return typeof lane?.below === 'number' && Array.isArray(lane.above) && lane.above.every((ticket) => typeof ticket === 'number');
}

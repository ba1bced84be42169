/**
 * The string and scope tables of one file chunk. Records in the ring refer to the ring's global
 * intern ids; a chunk renumbers the ones its records use from 0, so every chunk carries exactly
 * the strings it needs and can be decoded on its own (docs/format.md, "Chunk payload").
 */
import type { Decoder } from 'cbor-x';
import { reencodable } from '../format/file-values.ts';
import { InternKind, readInternEntry } from '../record/intern-table.ts';
import type { RingViews } from '../record/ring-layout.ts';

/**
 * One snapshot's chunk tables: the strings and scopes the current chunk's records refer to, in
 * the order first used, and the global ids' decoded entries, kept from chunk to chunk.
 */
export class ChunkStrings {
  /** Global id → chunk-local index + 1 (0: not used in this chunk yet). */
  private readonly localIndex: Int32Array;
  private readonly usedIds: number[] = [];
  /** Resolved entries by global id, kept across chunks of one snapshot. */
  private readonly resolved: unknown[] = [];
  /** The current chunk's string table. */
  strings: string[] = [];
  /** The current chunk's scope table, each scope as it is encoded in the file. */
  scopes: unknown[] = [];

  constructor(
    private readonly ring: RingViews,
    private readonly decoder: Decoder,
  ) {
    this.localIndex = new Int32Array(ring.internCapacity);
  }

  /** Chunk-local index of interned text `id`, or -1 if the id does not resolve. */
  text(id: number): number {
    return this.local(id, InternKind.Text);
  }

  /** Chunk-local index of interned scope `id`, or -1 if the id does not resolve. */
  scope(id: number): number {
    return this.local(id, InternKind.Scope);
  }

  /** Adds a scope that was stored inline in a record (the intern table was full). */
  inlineScope(encoded: Uint8Array): number {
    this.scopes.push(reencodable(this.decoder.decode(encoded)));
    return this.scopes.length - 1;
  }

  /** Starts the next chunk. */
  reset(): void {
    for (const id of this.usedIds) this.localIndex[id] = 0;
    this.usedIds.length = 0;
    this.strings = [];
    this.scopes = [];
  }

  private local(id: number, kind: number): number {
    if (id < 0 || id >= this.localIndex.length) return -1;
    const known = this.localIndex[id]!;
    if (known > 0) return known - 1;
    const value = this.resolve(id, kind);
    if (value === undefined) return -1;
    const table = kind === InternKind.Text ? this.strings : this.scopes;
    table.push(value);
    this.localIndex[id] = table.length;
    this.usedIds.push(id);
    return table.length - 1;
  }

  private resolve(id: number, kind: number): unknown {
    const cached = this.resolved[id];
    if (cached !== undefined) return cached;
    const entry = readInternEntry(this.ring, id);
    if (entry === undefined || entry.kind !== kind) return undefined;
    const value = kind === InternKind.Text ? entry.content.toString('utf8') : reencodable(this.decoder.decode(Uint8Array.from(entry.content)));
    this.resolved[id] = value;
    return value;
  }
}

/**
 * Mutations of snapshot files for the fuzz (bench/fuzz.ts). Written by hand rather than taken
 * from a generic fuzzer because they are format-aware: the chunk-level ones (duplicate, swap,
 * drop, move, splice in a chunk of another file) need the block boundaries, and the forged ones
 * recompute the checksums a writer to the snapshot directory could recompute, to reach the
 * decoder behind them. A generic byte mutator would almost never produce either.
 *
 * Each mutation says whether it is `forged`: a forged file carries valid checksums over content
 * a writer never wrote, which CRC-32 cannot tell from the real thing (docs/reliability.md,
 * "Threat model"). The reader owes a forged file typed errors and bounded work, not detection.
 */
import { compress } from 'lz4-wasm-nodejs';
import { seededRandom } from '../../spec/support/seeded-random.ts';
import { BLOCK_HEADER_BYTES, ChunkCodecId, CODED_CHUNK_MAGIC, FILE_PREFIX_BYTES } from '../../src/format/file-format.ts';
import { decompressChunk } from '../../src/read/chunk-decoder.ts';
import { type Granularity, joinLayout, resealHead, resealUnit, splitLayout } from './snapshot-layout.ts';

/** What a mutation may draw on. */
export interface MutationContext {
  readonly random: () => number;
  /** Files to take foreign chunks from: another snapshot of the same ring, another service's. */
  readonly donors: readonly Buffer[];
}

export interface Mutation {
  readonly name: string;
  readonly forged: boolean;
  /** The mutated file; `undefined` when the file lacks what the mutation needs (too few chunks, no framing). */
  apply(file: Buffer, context: MutationContext): Buffer | undefined;
}

/** A mutated file and how it was made. */
export interface MutatedInput {
  readonly bytes: Buffer;
  /** The mutations applied, in order. */
  readonly steps: readonly string[];
  readonly forged: boolean;
}

function below(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[below(random, items.length)]!;
}

type Unit = Buffer[];

/**
 * A mutation of the units of a well-formed file (snapshot-layout.ts): mostly whole chunks with
 * their index blocks, a quarter of the time single blocks. Needs at least `minUnits` units.
 */
function chunkMutation(name: string, minUnits: number, edit: (units: Unit[], context: MutationContext, granularity: Granularity) => void): Mutation {
  return {
    name,
    forged: false,
    apply(file, context) {
      const granularity = context.random() < 0.75 ? 'chunks' : 'blocks';
      const layout = splitLayout(file, granularity);
      if (layout === undefined || layout.units.length < minUnits) return undefined;
      const units = layout.units.slice();
      edit(units, context, granularity);
      return joinLayout({ ...layout, units });
    },
  };
}

function twoIndexes(random: () => number, length: number): [number, number] {
  const first = below(random, length);
  const second = (first + 1 + below(random, length - 1)) % length;
  return [first, second];
}

function foreignUnit({ random, donors }: MutationContext, granularity: Granularity): Unit | undefined {
  const donor = splitLayout(pick(random, donors), granularity);
  return donor === undefined || donor.units.length === 0 ? undefined : pick(random, donor.units);
}

const chunkMutations: Mutation[] = [
  chunkMutation('chunk-duplicate', 1, (units, { random }) => {
    units.splice(below(random, units.length + 1), 0, pick(random, units));
  }),
  chunkMutation('chunk-swap', 2, (units, { random }) => {
    const [a, b] = twoIndexes(random, units.length);
    [units[a], units[b]] = [units[b]!, units[a]!];
  }),
  chunkMutation('chunk-drop', 1, (units, { random }) => {
    units.splice(below(random, units.length), 1);
  }),
  chunkMutation('chunk-move', 2, (units, { random }) => {
    const [moved] = units.splice(below(random, units.length), 1);
    units.splice(below(random, units.length + 1), 0, moved!);
  }),
  // One chunk dropped and another repeated: the chunk count stays what the end block says.
  chunkMutation('chunk-drop-and-duplicate', 2, (units, { random }) => {
    const [dropped, repeated] = twoIndexes(random, units.length);
    units[dropped] = units[repeated]!;
  }),
  chunkMutation('chunk-foreign-replace', 1, (units, context, granularity) => {
    const foreign = foreignUnit(context, granularity);
    if (foreign !== undefined) units[below(context.random, units.length)] = foreign;
  }),
  chunkMutation('chunk-foreign-insert', 0, (units, context, granularity) => {
    const foreign = foreignUnit(context, granularity);
    if (foreign !== undefined) units.splice(below(context.random, units.length + 1), 0, foreign);
  }),
];

/** A byte-level mutation; offsets land on a block boundary a third of the time, where framing bugs hide. */
function byteMutation(name: string, edit: (file: Buffer, at: number, random: () => number) => Buffer): Mutation {
  return {
    name,
    forged: false,
    apply(file, { random }) {
      const boundaries = blockBoundaries(file);
      const at = boundaries.length > 0 && random() < 1 / 3 ? pick(random, boundaries) : below(random, file.length + 1);
      return edit(file, at, random);
    },
  };
}

/** Where each block of a well-formed file starts, and where the file ends. */
function blockBoundaries(file: Buffer): number[] {
  const layout = splitLayout(file, 'blocks');
  if (layout === undefined) return [];
  const starts = [layout.head.length];
  for (const block of [...layout.units.flat(), ...layout.end]) starts.push(starts[starts.length - 1]! + block.length);
  return starts;
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = below(random, 256);
  return bytes;
}

const byteMutations: Mutation[] = [
  byteMutation('truncate', (file, at) => file.subarray(0, Math.min(at, file.length - 1))),
  byteMutation('bit-flip', (file, at, random) => {
    const copy = Buffer.from(file);
    const flips = 1 + below(random, 8);
    for (let i = 0; i < flips; i++) {
      const byte = Math.min(copy.length - 1, i === 0 ? at : below(random, copy.length));
      copy[byte]! ^= 1 << below(random, 8);
    }
    return copy;
  }),
  byteMutation('byte-insert', (file, at, random) => Buffer.concat([file.subarray(0, at), randomBytes(random, 1 + below(random, 16)), file.subarray(at)])),
  byteMutation('byte-delete', (file, at, random) => Buffer.concat([file.subarray(0, at), file.subarray(at + 1 + below(random, 16))])),
  byteMutation('byte-overwrite', (file, at, random) => {
    const copy = Buffer.from(file);
    randomBytes(random, 1 + below(random, 32)).copy(copy, Math.min(at, copy.length - 1));
    return copy.subarray(0, file.length);
  }),
  byteMutation('append-garbage', (file, _at, random) => Buffer.concat([file, randomBytes(random, 1 + below(random, 64))])),
  {
    name: 'header-field',
    forged: false,
    apply(file, { random }) {
      const copy = Buffer.from(file);
      const field = pick(random, [8, 10, 12]);
      if (field === 12) copy.writeUInt32LE(pick(random, [0, 1, 0xffffffff, copy.readUInt32LE(12) + 1 + below(random, 64)]), 12);
      else copy.writeUInt16LE(pick(random, [0, 2, 0xffff, below(random, 0x10000)]), field);
      return copy;
    },
  },
];

/** Bytes that start CBOR items a decoder must bound: long lengths, indefinite lengths, tags, bignums. */
const CBOR_EDGE_BYTES = [0x1b, 0x3b, 0x5a, 0x5b, 0x5f, 0x7a, 0x7b, 0x7f, 0x9a, 0x9b, 0x9f, 0xbf, 0xc2, 0xc3, 0xd9, 0xda, 0xf7, 0xfb, 0xff, 0x00, 0x80, 0xa0];

/** Mutates CBOR bytes: bit flips, CBOR edge bytes, inserts, deletes, a cut, or a repeated range. */
function mutateCbor(raw: Buffer, random: () => number): Buffer {
  const at = below(random, raw.length);
  switch (below(random, 6)) {
    case 0: {
      const copy = Buffer.from(raw);
      copy[at]! ^= 1 << below(random, 8);
      return copy;
    }
    case 1: {
      const copy = Buffer.from(raw);
      copy[at] = pick(random, CBOR_EDGE_BYTES);
      return copy;
    }
    case 2:
      return Buffer.concat([raw.subarray(0, at), Buffer.from([pick(random, CBOR_EDGE_BYTES)]), randomBytes(random, below(random, 9)), raw.subarray(at)]);
    case 3:
      return Buffer.concat([raw.subarray(0, at), raw.subarray(at + 1 + below(random, 8))]);
    case 4:
      return raw.subarray(0, at);
    default: {
      const length = 1 + below(random, Math.min(256, raw.length - at));
      return Buffer.concat([raw.subarray(0, at + length), raw.subarray(at, at + length), raw.subarray(at + length)]);
    }
  }
}

/** A forged mutation of one chunk block of a well-formed file; the block is resealed afterwards. */
function forgedChunkMutation(name: string, edit: (block: Buffer, random: () => number) => Buffer | undefined): Mutation {
  return {
    name,
    forged: true,
    apply(file, { random }) {
      const layout = splitLayout(file, 'chunks');
      if (layout === undefined || layout.units.length === 0) return undefined;
      const units = layout.units.slice();
      const index = below(random, units.length);
      const unit = units[index]!;
      const edited = edit(unit[unit.length - 1]!, random);
      if (edited === undefined) return undefined;
      units[index] = resealUnit(unit, edited);
      return joinLayout({ ...layout, units });
    },
  };
}

/** A chunk block's CBOR; `undefined` when an earlier mutation left it undecompressable (or not a chunk). */
function decompressed(block: Buffer): Buffer | undefined {
  try {
    const coded = block.subarray(0, 4).equals(CODED_CHUNK_MAGIC);
    return decompressChunk(block.subarray(BLOCK_HEADER_BYTES), block.readUInt32LE(8), block.readUInt32LE(12), 0, coded);
  } catch {
    return undefined;
  }
}

/** A chunk block around `raw` CBOR, LZ4-compressed (after the codec byte in a coded block), with the given record count. */
function chunkBlock(template: Buffer, raw: Uint8Array, records: number): Buffer {
  const lz4 = Buffer.from(compress(raw));
  const payload = template.subarray(0, 4).equals(CODED_CHUNK_MAGIC) ? Buffer.concat([Buffer.from([ChunkCodecId.Lz4]), lz4]) : lz4;
  const block = Buffer.alloc(BLOCK_HEADER_BYTES + payload.length);
  template.copy(block, 0, 0, 16);
  block.writeUInt32LE(payload.length, 4);
  block.writeUInt32LE(raw.length, 8);
  block.writeUInt32LE(records, 12);
  payload.copy(block, BLOCK_HEADER_BYTES);
  return block;
}

const forgedMutations: Mutation[] = [
  forgedChunkMutation('forged-chunk-cbor', (block, random) => {
    const raw = decompressed(block);
    return raw === undefined ? undefined : chunkBlock(block, mutateCbor(raw, random), block.readUInt32LE(12));
  }),
  forgedChunkMutation('forged-chunk-lz4', (block, random) => {
    const copy = Buffer.from(block);
    const at = BLOCK_HEADER_BYTES + 4 + below(random, Math.max(1, copy.length - BLOCK_HEADER_BYTES - 4));
    copy[Math.min(at, copy.length - 1)] = below(random, 256);
    return copy;
  }),
  forgedChunkMutation('forged-chunk-counts', (block, random) => {
    const copy = Buffer.from(block);
    const field = random() < 0.5 ? 8 : 12;
    const value = copy.readUInt32LE(field);
    copy.writeUInt32LE(pick(random, [0, value + 1, Math.max(0, value - 1), 0xffffffff, below(random, 1 << 20)]), field);
    return copy;
  }),
  {
    name: 'forged-end-counts',
    forged: true,
    apply(file, { random }) {
      const layout = splitLayout(file, 'chunks');
      if (layout === undefined) return undefined;
      const end = Buffer.from(layout.end[layout.end.length - 1]!);
      const field = random() < 0.5 ? 8 : 12;
      end.writeUInt32LE(Math.max(0, end.readUInt32LE(field) + pick(random, [-1, 1, 1000])), field);
      return joinLayout({ ...layout, end: resealUnit(layout.end, end) });
    },
  },
  {
    name: 'forged-header',
    forged: true,
    apply(file, { random }) {
      const layout = splitLayout(file, 'chunks');
      if (layout === undefined) return undefined;
      const prefix = Buffer.from(layout.head.subarray(0, FILE_PREFIX_BYTES));
      let header = layout.head.subarray(FILE_PREFIX_BYTES, layout.head.length - 4);
      if (random() < 0.2) prefix.writeUInt16LE(pick(random, [0, 1, 2, 0xffff]), pick(random, [8, 10]));
      else header = mutateCbor(header, random);
      return joinLayout({ ...layout, head: resealHead(prefix, header) });
    },
  },
];

/** Every mutation, each drawn equally often. */
export const MUTATIONS: readonly Mutation[] = [...chunkMutations, ...byteMutations, ...forgedMutations];

/**
 * Input `index` of a run with `seed`: one to three mutations of one corpus file. The same seed and
 * index give the same bytes, so an input reported by a long run can be made again on its own.
 */
export function mutatedInput(original: Buffer, donors: readonly Buffer[], seed: number, index: number): MutatedInput {
  const random = seededRandom((seed * 0x9e3779b1 + index) >>> 0);
  const roll = random();
  const count = roll < 0.7 ? 1 : roll < 0.9 ? 2 : 3;
  let bytes = original;
  const steps: string[] = [];
  let forged = false;
  for (let step = 0; step < count; step++) {
    // A mutation that does not apply (a chunk swap on a file with one chunk, or whose framing an
    // earlier step broke) gives way to another.
    for (;;) {
      const mutation = pick(random, MUTATIONS);
      const mutated = mutation.apply(bytes, { random, donors });
      if (mutated === undefined) continue;
      bytes = mutated;
      steps.push(mutation.name);
      forged ||= mutation.forged;
      break;
    }
  }
  return { bytes, steps, forged };
}

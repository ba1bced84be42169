/**
 * The records the multi-producer test writes: each carries a CRC-32 of its own content in the
 * attribute `sum`, so a record stitched together from two writes cannot pass unnoticed.
 */
import { crc32 } from 'node:zlib';

export interface ChecksummedRecord {
  readonly body: string;
  readonly attributes: Record<string, unknown>;
}

/** Record `i` of producer `producer`: sizes and contents vary from record to record. */
export function checksummedRecord(producer: number, i: number): ChecksummedRecord {
  const attributes: Record<string, unknown> = {
    producer,
    i,
    pad: (i % 3 === 0 ? 'ü€😀' : 'xyz').repeat((i * 7) % 40),
    nested: { triple: i * 3, tag: `t${i % 5}`, list: [producer, i % 11, i % 2 === 0] },
  };
  const body = `p${producer}:${i}:${'#'.repeat((i * 13) % 60)}`;
  attributes.sum = checksum(body, attributes);
  return { body, attributes };
}

/** CRC-32 of a record's body and attributes, leaving out `sum` itself. */
export function checksum(body: unknown, attributes: Readonly<Record<string, unknown>>): number {
  const { sum: _sum, ...rest } = attributes;
  return crc32(JSON.stringify([body, rest]));
}

/**
 * Lines written as UTF-8 bytes into one buffer, piece by piece. The text output's pieces repeat
 * (a line's start, the scope, ` key=`, interned values), so they are encoded once and copied from
 * then on; joining them as strings instead builds a rope (a V8 cons string) per line that has to
 * be flattened and encoded again for every line.
 */

/** Below this length, text and runs of a chunk's bytes are copied in a loop: a call into C++ costs more than a few dozen bytes. */
const NATIVE_COPY_LENGTH = 64;
const LINE_FEED = 0x0a;
const SPACE = 0x20;
/** The lowercase hex digits' character codes, by value. */
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

export class LineBytes {
  protected buffer: Buffer;
  /** Where the bytes not yet taken start. */
  protected start = 0;
  /** Where the next byte goes. */
  protected pos = 0;

  constructor(private readonly bufferBytes: number) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Appends `text` as UTF-8. */
  text(text: string): void {
    const length = text.length;
    // Three bytes per UTF-16 unit is the most UTF-8 needs (a surrogate pair: 4 bytes for 2 units).
    if (this.buffer.length - this.pos < length * 3) this.makeRoom(length * 3);
    if (length >= NATIVE_COPY_LENGTH) {
      this.pos += this.buffer.write(text, this.pos);
      return;
    }
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        pos += buffer.write(text.slice(i), pos);
        break;
      }
      buffer[pos++] = code;
    }
    this.pos = pos;
  }

  /** Appends bytes: one `set`, which costs the same for 2 bytes as for 100 (a loop costs ~1.3 ns a byte). */
  bytes(bytes: Uint8Array): void {
    if (this.buffer.length - this.pos < bytes.length) this.makeRoom(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Appends `source[from, to)`; short runs in a loop, where a view for `set` would cost more. */
  copy(source: Uint8Array, from: number, to: number): void {
    const length = to - from;
    if (length >= NATIVE_COPY_LENGTH) {
      this.bytes(source.subarray(from, to));
      return;
    }
    if (this.buffer.length - this.pos < length) this.makeRoom(length);
    const buffer = this.buffer;
    const pos = this.pos - from;
    for (let i = from; i < to; i++) buffer[pos + i] = source[i]!;
    this.pos += length;
  }

  /** Appends a space and `source[from, to)`. */
  spaceAndCopy(source: Uint8Array, from: number, to: number): void {
    this.byte(SPACE);
    this.copy(source, from, to);
  }

  /** Appends a non-negative safe integer's decimal digits, without a string in between. */
  digits(value: number): void {
    if (this.buffer.length - this.pos < 16) this.makeRoom(16);
    const buffer = this.buffer;
    let end = this.pos;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) end++;
    this.pos = end + 1;
    let rest = value;
    do {
      buffer[end--] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  lineFeed(): void {
    this.byte(LINE_FEED);
  }

  /** Replaces the `length` bytes at `at` (a position since the last take, from {@link length}) with `bytes`. */
  replace(at: number, length: number, bytes: Uint8Array): void {
    const grow = bytes.length - length;
    if (grow > 0 && this.buffer.length - this.pos < grow) this.makeRoom(grow);
    const from = this.start + at;
    this.buffer.copyWithin(from + bytes.length, from + length, this.pos);
    this.buffer.set(bytes, from);
    this.pos += grow;
  }

  /**
   * Writes the first `count` characters of ASCII `text` over the bytes at `at` (a position since
   * the last take, from {@link length}), which must already be written: a field learnt after the
   * rest of its line, such as a record's trace id, filled into the room kept for it.
   */
  asciiAt(at: number, text: string, count: number): void {
    const buffer = this.buffer;
    const from = this.start + at;
    for (let i = 0; i < count; i++) buffer[from + i] = text.charCodeAt(i);
  }

  /**
   * Writes `source[from, to)` as lowercase hex digits, two per byte, over the bytes at `at`, as
   * {@link asciiAt} writes text: the same digits `Buffer.toString('hex')` gives, without the string.
   */
  hexAt(at: number, source: Uint8Array, from: number, to: number): void {
    const buffer = this.buffer;
    let pos = this.start + at;
    for (let i = from; i < to; i++) {
      const byte = source[i]!;
      buffer[pos++] = HEX_DIGITS[byte >> 4]!;
      buffer[pos++] = HEX_DIGITS[byte & 0x0f]!;
    }
  }

  /** Drops what was written after `length` (a {@link length} read earlier, since the last take). */
  truncate(length: number): void {
    this.pos = this.start + length;
  }

  /**
   * The text written since the last take. The buffer is then written again from its start: for
   * a LineBytes whose bytes are only ever taken as text, never as views.
   */
  takeText(): string {
    const text = this.buffer.toString('utf8', this.start, this.pos);
    this.start = this.pos = 0;
    return text;
  }

  /** The bytes written since the last take, as a view of the buffer that later writes leave alone. */
  protected take(): Buffer {
    const taken = this.buffer.subarray(this.start, this.pos);
    this.start = this.pos;
    return taken;
  }

  /** A buffer of at least `bytes` to go on in, when {@link buffer} is full; the one in use is never handed back. */
  protected nextBuffer(bytes: number): Buffer {
    return Buffer.allocUnsafe(bytes);
  }

  private byte(value: number): void {
    if (this.pos === this.buffer.length) this.makeRoom(1);
    this.buffer[this.pos++] = value;
  }

  /**
   * A new buffer with room for `bytes` more, the bytes not taken yet moved into it. Bytes already
   * taken stay where they are: a stream may still hold views of them. Past the usual size, room
   * doubles, so that lines added one by one are not all copied again each time.
   */
  private makeRoom(bytes: number): void {
    const pending = this.buffer.subarray(this.start, this.pos);
    const needed = pending.length + bytes;
    const next = this.nextBuffer(needed <= this.bufferBytes ? this.bufferBytes : 2 * needed);
    pending.copy(next);
    this.buffer = next;
    this.start = 0;
    this.pos = pending.length;
  }
}

/** `text` as UTF-8, for a piece written again and again. */
export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

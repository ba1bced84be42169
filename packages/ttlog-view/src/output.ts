/**
 * Buffered line output to stdout that respects back-pressure and treats a closed pipe
 * (`ttlog-view … | head`) as the reader being done, not as an error: no EPIPE noise.
 */
import type { Writable } from 'node:stream';
import { LineBytes } from './line-bytes.ts';

/**
 * Lines are gathered into ~64 KiB writes: one `write` per line costs more than formatting the
 * line (measured with bench/viewer.ts).
 */
const FLUSH_BYTES = 64 * 1024;
/** How much may wait in the stream's queue before output pauses for it to drain. */
const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * Writes are slices of one larger buffer: a buffer of its own per write was 3% of the viewer's
 * text run in a CPU profile, and each one counts as external memory that hurries V8's garbage
 * collector. A full buffer is used again once the stream is done with every write from it: a
 * new one each time is fresh memory for the kernel to map, and the copies into it took three
 * times as long (1M lines of bench/viewer.ts's snapshot, CPU profile).
 */
const BUFFER_BYTES = 2 * 1024 * 1024;
/** Full buffers kept for use again. */
const MAX_RETIRED = 8;

interface RetiredBuffer {
  readonly buffer: Buffer;
  /** The number of the last write from it. */
  readonly lastWrite: number;
}

/**
 * Lines are written whole with {@link line}, or piece by piece with the {@link LineBytes} methods
 * and ended with {@link endLine}; one output takes one kind, or flushes in between.
 */
export class LineOutput extends LineBytes {
  private broken = false;
  /** Lines given whole, not encoded yet. */
  private wholeLines = '';
  /** Writes started, and the highest numbered one known to be done (the stream finishes them in order). */
  private writesStarted = 0;
  private writesDone = 0;
  /** The number of the last write from the buffer in use. */
  private bufferLastWrite = 0;
  private readonly retired: RetiredBuffer[] = [];
  /** A write error other than a closed pipe (a full disk behind `> file`, say). */
  failure: Error | undefined;

  constructor(private readonly stream: Writable) {
    super(BUFFER_BYTES);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') this.failure = error;
      this.broken = true;
    });
  }

  /** The reader went away (EPIPE): stop producing output. */
  get closed(): boolean {
    return this.broken || this.stream.destroyed;
  }

  /**
   * Adds one whole line (without its line break). Returns a promise only when the stream wants a
   * pause. Whole lines are joined as one string and encoded a write's worth at a time: encoding
   * each on its own would be a call into C++ per line.
   */
  line(text: string): Promise<void> | undefined {
    this.wholeLines += text + '\n';
    return this.wholeLines.length >= FLUSH_BYTES ? this.flush() : undefined;
  }

  /** Ends the line written piece by piece. Returns a promise only when the stream wants a pause. */
  endLine(): Promise<void> | undefined {
    // Its pieces went into the buffer ahead of the whole lines still waiting to be encoded.
    if (this.wholeLines !== '') throw new Error('LineOutput: a line written piece by piece while whole lines wait');
    this.lineFeed();
    return this.flushWhenFull();
  }

  /** Writes what is buffered once it is enough for a write. Returns a promise only when the stream wants a pause. */
  flushWhenFull(): Promise<void> | undefined {
    return this.length >= FLUSH_BYTES ? this.flush() : undefined;
  }

  /** Writes what is buffered; resolves when the stream can take more. */
  flush(): Promise<void> | undefined {
    if (this.wholeLines !== '') {
      this.text(this.wholeLines);
      this.wholeLines = '';
    }
    const lines = this.take();
    if (lines.length === 0 || this.closed) return undefined;
    const write = ++this.writesStarted;
    this.bufferLastWrite = write;
    this.stream.write(lines, () => {
      if (write > this.writesDone) this.writesDone = write;
    });
    // Formatting goes on while earlier writes are in flight: waiting for 'drain' after every
    // write (a file stream wants one at 16 KiB) left the viewer idle a tenth of its time in
    // bench/viewer.ts. Back-pressure still holds, at a larger amount queued.
    if (this.stream.writableLength < MAX_QUEUED_BYTES) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }

  /** Flushes and waits until the stream has taken everything. */
  async end(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.stream.write('', () => resolve());
    });
  }

  /**
   * A retired buffer whose writes are all done, else a new one. Nothing queued in the stream
   * means every write is done, though their callbacks may wait: they run only once the event
   * loop turns, and the viewer can write megabytes before it does.
   */
  protected override nextBuffer(bytes: number): Buffer {
    if (this.stream.writableLength === 0) this.writesDone = this.writesStarted;
    if (this.buffer.length === BUFFER_BYTES) {
      this.retired.push({ buffer: this.buffer, lastWrite: this.bufferLastWrite });
      if (this.retired.length > MAX_RETIRED) this.retired.shift();
    }
    this.bufferLastWrite = 0;
    const free = bytes <= BUFFER_BYTES ? this.retired.findIndex((entry) => entry.lastWrite <= this.writesDone) : -1;
    // The buffer in use may be the one found: the bytes not taken yet then move to its start.
    return free >= 0 ? this.retired.splice(free, 1)[0]!.buffer : Buffer.allocUnsafe(bytes);
  }
}

/**
 * Buffered line output to stdout that respects back-pressure and treats a closed pipe
 * (`ttlog-view … | head`) as the reader being done, not as an error: no EPIPE noise.
 */
import type { Writable } from 'node:stream';

/**
 * Lines are joined into ~64 KiB writes: one `write` per line costs more than formatting the
 * line (measured with bench/viewer.ts).
 */
const FLUSH_BYTES = 64 * 1024;
/** How much may wait in the stream's queue before output pauses for it to drain. */
const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * Output is encoded into slices of one larger buffer: a buffer of its own per write (196 KiB, room
 * for any UTF-8 of 64 Ki characters) was 3% of the viewer's text run in a CPU profile, and each
 * one counts as external memory that hurries V8's garbage collector.
 */
const SLAB_BYTES = 2 * 1024 * 1024;

export class LineOutput {
  private pending = '';
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  private broken = false;
  /** A write error other than a closed pipe (a full disk behind `> file`, say). */
  failure: Error | undefined;

  constructor(private readonly stream: Writable) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') this.failure = error;
      this.broken = true;
    });
  }

  /** The reader went away (EPIPE): stop producing output. */
  get closed(): boolean {
    return this.broken || this.stream.destroyed;
  }

  /** Adds one line (without its line break). Returns a promise only when the stream wants a pause. */
  line(text: string): Promise<void> | undefined {
    this.pending += text + '\n';
    return this.pending.length >= FLUSH_BYTES ? this.flush() : undefined;
  }

  /** Writes what is buffered; resolves when the stream can take more. */
  flush(): Promise<void> | undefined {
    if (this.pending === '' || this.closed) {
      this.pending = '';
      return undefined;
    }
    // Encoded here rather than by the stream: a file stream's Buffer.from() of a 64 KiB string
    // took about twice as long as write() into a buffer large enough for any UTF-8 of it
    // (3 bytes per UTF-16 unit), which spares a byteLength() pass as well.
    const room = this.pending.length * 3;
    if (this.slab.length - this.slabUsed < room) {
      // Slices already written keep the old slab alive until the stream is done with them.
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, room));
      this.slabUsed = 0;
    }
    const start = this.slabUsed;
    this.slabUsed += this.slab.write(this.pending, start);
    this.stream.write(this.slab.subarray(start, this.slabUsed));
    this.pending = '';
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
}

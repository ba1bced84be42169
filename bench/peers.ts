/**
 * The loggers a user would pick instead of ttlog, fed the same records as the OpenTelemetry
 * candidates (candidates.ts), each through its usual call site and a destination that does its
 * full work:
 *   (d) pino to /dev/null through `pino.destination('/dev/null')` — pino's default destination,
 *       asynchronous (sonic-boom, minLength 0: a write is always in flight, lines queue behind it);
 *   (d-sync) pino to /dev/null through `pino.destination({ dest, sync: true })`: one write(2) per line;
 *   (e) winston (JSON with a timestamp, its usual production format) to a /dev/null file stream;
 *   (f) bunyan into its `RingBuffer` stream keeping the last 8192 records (ttlog's default capacity);
 *   (g) the AWS Powertools logger with log buffering at INFO: each record is serialized to JSON and
 *       kept in a per-trace buffer (oldest evicted past `maxBytes`), printed only on an error.
 * Each counts the records that reached its destination, so a dropped record shows as dropped.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import bunyan from 'bunyan';
import pino from 'pino';
import winston from 'winston';
import { type Candidate, deltaOf, loopOf, nothing, settled } from './candidates.ts';
import { callSiteAttributes, checkCallSiteAttributes, ID_POOL_MASK, MESSAGE } from './record.ts';

/** Records the bounded peers keep, as ttlog's default ring does. */
const KEPT_RECORDS = 8192;

/** The mean length of the lines `format` gives for indexes 0–1023: every field but the id repeats with that period. */
function meanLineBytes(format: (index: number) => string): number {
  let bytes = 0;
  for (let i = 0; i < 1024; i++) bytes += Buffer.byteLength(format(i));
  return bytes / 1024;
}

function checkBytesPerLine(name: string, bytes: number, lines: number, expected: number): string {
  const perLine = bytes / lines;
  if (!(Math.abs(perLine - expected) < 3)) throw new Error(`${name} wrote ${perLine.toFixed(1)} bytes per line, a line is ${expected.toFixed(1)} bytes`);
  return `${lines.toLocaleString('en-US')} lines, ${bytes.toLocaleString('en-US')} bytes written to /dev/null (${perLine.toFixed(1)} bytes per line, as formatted)`;
}

/** (d) and (d-sync). */
export async function pinoCandidate(sync: boolean): Promise<Candidate> {
  const destination = sync ? pino.destination({ dest: '/dev/null', sync: true }) : pino.destination('/dev/null');
  if (!sync) await once(destination, 'ready');
  // sonic-boom has no public accessors for these; they are what its own flush logic reads.
  const internals = destination as unknown as { _writing: boolean; _len: number };
  const options = { base: { service: 'ttlog-bench' } };
  const logger = pino(options, destination);
  let bytes = 0;
  let lines = 0;
  let totalBytes = 0;
  let totalLines = 0;
  destination.on('write', (count: number) => {
    bytes += count;
  });
  const one = (index: number): void => {
    logger.info(callSiteAttributes(index), MESSAGE);
    lines++;
  };
  return {
    id: sync ? 'd-sync' : 'd',
    label: sync ? 'pino → /dev/null, sync destination' : "pino → /dev/null, pino.destination('/dev/null') (async)",
    run: loopOf(one),
    one,
    collect: nothing,
    settle: async () => {
      if (internals._writing) await once(destination, 'drain');
    },
    takeDelivered: () => {
      // pino never drops a line (no maxLength is set); a line is delivered once its bytes have
      // gone to write(2), i.e. when nothing is left buffered.
      const delivered = internals._len === 0 ? lines : 0;
      totalBytes += bytes;
      totalLines += lines;
      bytes = 0;
      lines = 0;
      return delivered;
    },
    verify: async () => {
      let line = '';
      const probe = pino(options, {
        write: (text: string) => {
          line = text;
        },
      });
      const lineOf = (index: number) => {
        probe.info(callSiteAttributes(index), MESSAGE);
        return line;
      };
      return checkBytesPerLine('pino', totalBytes, totalLines, meanLineBytes(lineOf));
    },
    close: async () => {
      destination.end();
      if (!sync) await once(destination, 'close');
    },
  };
}

function winstonLogger(stream: NodeJS.WritableStream): winston.Logger {
  return winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'ttlog-bench' },
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** (e). */
export function winstonCandidate(): Candidate {
  const stream = createWriteStream('/dev/null');
  const logger = winstonLogger(stream);
  let writes = 0;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  // Counts the lines winston's Stream transport hands to the file stream (one write per line).
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    writes++;
    return write(chunk, ...rest);
  }) as typeof stream.write;
  const one = (index: number): void => void logger.info(MESSAGE, callSiteAttributes(index));
  let logged = 0;
  return {
    id: 'e',
    label: 'winston → /dev/null (file stream)',
    run: (from, count) => {
      loopOf(one)(from, count);
      logged += count;
    },
    one: (index) => {
      one(index);
      logged++;
    },
    collect: nothing,
    settle: async () => {
      // winston is a chain of streams: the logger's buffer, the transport's, the file stream's.
      const transport = logger.transports[0] as unknown as Writable;
      while (logger.readableLength > 0 || logger.writableLength > 0 || transport.writableLength > 0 || stream.writableLength > 0 || stream.pending)
        await nextTurn();
    },
    takeDelivered: deltaOf(() => (stream.writableLength === 0 ? writes : 0)),
    verify: async () => {
      if (writes !== logged) throw new Error(`winston wrote ${writes} lines of ${logged} logged`);
      let line = '';
      const write = (chunk: Buffer, _encoding: BufferEncoding, done: () => void) => {
        line = chunk.toString();
        done();
      };
      const probe = winstonLogger(new Writable({ write }));
      const lineOf = (index: number) => {
        probe.info(MESSAGE, callSiteAttributes(index));
        return line;
      };
      return checkBytesPerLine('winston', stream.bytesWritten, writes, meanLineBytes(lineOf));
    },
    close: async () => {
      logger.close();
      stream.end();
      await once(stream, 'close');
    },
  };
}

/** (f). */
export function bunyanCandidate(): Candidate {
  const ring = new bunyan.RingBuffer({ limit: KEPT_RECORDS });
  let writes = 0;
  const write = ring.write.bind(ring);
  ring.write = (record: unknown) => {
    writes++;
    return write(record);
  };
  const logger = bunyan.createLogger({ name: 'ttlog-bench', streams: [{ type: 'raw', stream: ring, level: 'info' }] });
  let lastLogged = -1;
  const one = (index: number): void => {
    logger.info(callSiteAttributes(index), MESSAGE);
    lastLogged = index;
  };
  return {
    id: 'f',
    label: `bunyan → RingBuffer (last ${KEPT_RECORDS} records)`,
    run: loopOf(one),
    one,
    collect: nothing,
    settle: settled,
    takeDelivered: deltaOf(() => writes),
    verify: async () => {
      const records = ring.records as Array<Record<string, unknown>>;
      const last = records.at(-1);
      const { msg, ...rest } = last ?? {};
      const fields = Object.fromEntries(Object.entries(rest).filter(([key]) => Object.hasOwn(callSiteAttributes(0), key)));
      if (records.length !== Math.min(KEPT_RECORDS, writes) || msg !== MESSAGE || checkCallSiteAttributes(fields) !== (lastLogged & ID_POOL_MASK)) {
        throw new Error("bunyan's ring buffer does not hold the records logged");
      }
      return `its ring holds the newest ${records.length.toLocaleString('en-US')} of ${writes.toLocaleString('en-US')} records, the last as logged`;
    },
    close: settled,
  };
}

/** (g). Buffering needs a trace id (`_X_AMZN_TRACE_ID`, as in a Lambda invocation); one is set for the run. */
export function powertoolsCandidate(): Candidate {
  process.env._X_AMZN_TRACE_ID ??= 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
  const logger = new PowertoolsLogger({
    serviceName: 'ttlog-bench',
    logLevel: 'INFO',
    // About as many records as ttlog's default ring keeps (a line is ~330 bytes).
    logBufferOptions: { enabled: true, bufferAtVerbosity: 'INFO', maxBytes: KEPT_RECORDS * 330, flushOnErrorLog: true },
  });
  // What Powertools prints (anything not buffered; the buffer when flushed) goes here, counted.
  let printed = 0;
  let previous = '';
  let latest = '';
  const sink = (line: unknown): void => {
    printed++;
    previous = latest;
    latest = String(line);
  };
  (logger as unknown as { console: Record<string, (line: unknown) => void> }).console = {
    debug: sink,
    info: sink,
    warn: sink,
    error: sink,
    log: sink,
    trace: sink,
  };
  let logged = 0;
  let lastLogged = -1;
  const one = (index: number): void => {
    logger.info(MESSAGE, callSiteAttributes(index));
    logged++;
    lastLogged = index;
  };
  return {
    id: 'g',
    label: 'AWS Powertools logger, log buffering at INFO',
    run: loopOf(one),
    one,
    collect: nothing,
    settle: settled,
    // A record that was printed instead of buffered (Powertools does so when buffering fails) did not reach the buffer.
    takeDelivered: deltaOf(() => logged - printed),
    verify: async () => {
      if (printed !== 0) throw new Error(`Powertools printed ${printed} records instead of buffering them`);
      logger.flushBuffer();
      // The buffered lines, then (when the oldest were evicted) one warning saying so.
      const evicted = (JSON.parse(latest) as { message: string }).message.includes('evicted');
      const kept = evicted ? printed - 1 : printed;
      const last = JSON.parse(evicted ? previous : latest) as Record<string, unknown>;
      const fields = Object.fromEntries(Object.entries(last).filter(([key]) => Object.hasOwn(callSiteAttributes(0), key)));
      if (kept < 1000 || last.message !== MESSAGE || checkCallSiteAttributes(fields) !== (lastLogged & ID_POOL_MASK)) {
        throw new Error('the Powertools buffer does not hold the records logged');
      }
      return `its buffer held the newest ${kept.toLocaleString('en-US')} of ${logged.toLocaleString('en-US')} records as JSON lines, the last as logged`;
    },
    close: settled,
  };
}

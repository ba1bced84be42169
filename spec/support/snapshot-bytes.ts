/**
 * The bytes of a real snapshot, for specs that take a file apart or change it: a `TTLogProcessor`
 * behind a real SDK `LoggerProvider` writes it into a temp directory, removed once the file is read.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { otel } from './otel.ts';

type Provider = InstanceType<typeof otel.LoggerProvider>;

export interface SnapshotBytesOptions {
  readonly serviceName: string;
  /** The provider's resource attributes; none by default. */
  readonly resource?: Parameters<typeof otel.resourceFromAttributes>[0];
  /** The ring's sizes; the processor's defaults otherwise. */
  readonly ring?: Pick<TTLogProcessorOptions, 'capacity' | 'maxRecordBytes'>;
}

/** Snapshots what `log` logs through the provider (or hands the processor itself) and returns the file's bytes. */
export async function snapshotBytes(options: SnapshotBytesOptions, log: (provider: Provider, processor: TTLogProcessor) => void): Promise<Buffer> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  try {
    const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: options.serviceName }), ...options.ring });
    const provider = new otel.LoggerProvider({
      ...(options.resource === undefined ? {} : { resource: otel.resourceFromAttributes(options.resource) }),
      processors: [processor as never],
    });
    log(provider, processor);
    const path = await processor.snapshot();
    await provider.shutdown();
    return readFileSync(path);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

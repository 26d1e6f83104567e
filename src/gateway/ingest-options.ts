import type { SluiceMetrics } from '../metrics/index.js';
import type { Publisher } from './publisher.js';

/** What an ingest route uses: the publisher (bounded in-flight) and the counters. */
export interface IngestOptions {
  readonly publisher: Publisher;
  readonly metrics: SluiceMetrics;
}

/** An ingest route that takes batches, and their bound (`MAX_BATCH_EVENTS`). */
export interface BatchIngestOptions extends IngestOptions {
  readonly maxBatchEvents: number;
}

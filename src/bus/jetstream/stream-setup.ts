import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { API_CODE, isApiError, isClusterForming } from './nats-errors.js';

/** The stream settings Sluice manages (from the `nats` section of SluiceConfig). */
export interface StreamSettings {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly streamMaxAgeMs: number;
  /** -1: unlimited. */
  readonly streamMaxMsgs: number;
  /** -1: unlimited. */
  readonly streamMaxBytes: number;
  readonly replicas: number;
  readonly duplicateWindowMs: number;
}

const NANOS_PER_MS = 1_000_000;

/** The events stream's configuration. */
export function eventsStreamConfig(settings: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: settings.stream,
    subjects: [`${settings.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // At STREAM_MAX_MSGS / STREAM_MAX_BYTES the stream refuses new events (the gateway answers
    // 503) instead of discarding its oldest, which may be accepted events no worker has written.
    discard: DiscardPolicy.New,
    max_age: settings.streamMaxAgeMs * NANOS_PER_MS,
    max_msgs: settings.streamMaxMsgs,
    max_bytes: settings.streamMaxBytes,
    num_replicas: settings.replicas,
    duplicate_window: Math.min(settings.duplicateWindowMs, settings.streamMaxAgeMs) * NANOS_PER_MS,
  };
}

/** The dead-letter stream (`{stream}_DLQ` on `{prefix}-dlq.>`): no age limit, events wait there until replayed. */
export function deadLetterStreamConfig(settings: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: `${settings.stream}_DLQ`,
    subjects: [`${settings.subjectPrefix}-dlq.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: settings.replicas,
    duplicate_window: settings.duplicateWindowMs * NANOS_PER_MS,
  };
}

/** Creates the stream, or updates it to the configured settings when it exists. */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    const current = info.config;
    const differs = (Object.keys(config) as Array<keyof StreamConfig>).some(
      (key) => JSON.stringify(current[key]) !== JSON.stringify(config[key]),
    );
    if (!differs) return;
    // Replicas and storage cannot always change in place; the server says so if not.
    const { storage: _storage, retention: _retention, ...update } = config;
    await jsm.streams.update(config.name, update);
  } catch (error) {
    if (isApiError(error, API_CODE.streamNotFound)) {
      await jsm.streams.add(config);
      return;
    }
    throw error;
  }
}

/** How long start-up waits for JetStream to take stream requests (a cluster electing its meta leader). */
export const STREAM_SETUP_PATIENCE_MS = 60_000;

/**
 * Runs `setup` until it succeeds, retrying while JetStream is not ready yet: a cluster that is
 * forming (or lost its quorum) has no meta leader, so stream requests time out, find no
 * responder, or answer "temporarily unavailable" / "insufficient resources" until it elects
 * one, and a replicated stream finds no peers for placement until enough servers are up.
 * Any other error, or the patience running out, is thrown.
 */
export async function retryWhileForming<T>(
  setup: () => Promise<T>,
  options: { patienceMs?: number; onRetry?: (attempt: number, error: Error) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.patienceMs ?? STREAM_SETUP_PATIENCE_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await setup();
    } catch (error) {
      if (!isClusterForming(error) || Date.now() >= deadline) throw error;
      options.onRetry?.(attempt, error as Error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)));
    }
  }
}

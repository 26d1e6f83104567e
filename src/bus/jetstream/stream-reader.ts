import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';

export interface StreamReadOptions {
  readonly stream: string;
  readonly filterSubject: string;
  /** Where to start: a stream sequence, or the first message stored at or after a time (ms). */
  readonly start: { readonly seq: number } | { readonly time: number };
  /**
   * The last sequence wanted: the read ends on reaching it, without waiting for the server to
   * say that nothing more is pending (messages stored meanwhile would keep a pull open).
   */
  readonly endSeq: number;
  /** Headers only (the server sends each payload's size instead of the payload). */
  readonly headersOnly: boolean;
  readonly pageSize: number;
  /** Longest wait for one pull. */
  readonly timeoutMs: number;
}

/**
 * Reads a stream from a start point through a short-lived consumer that takes no acks (it
 * changes no one's progress), one pull at a time; ends at `endSeq`, or at the last message
 * stored when that comes first. Breaking out of the loop removes the consumer. A pull that brings
 * nothing while messages remain throws: the server could not be read.
 */
export async function* readStream(js: JetStreamClient, jsm: JetStreamManager, options: StreamReadOptions): AsyncGenerator<JsMsg[]> {
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.None,
    headers_only: options.headersOnly,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: 30_000_000_000,
    filter_subject: options.filterSubject,
    ...('seq' in options.start
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.start.seq }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(options.start.time).toISOString() }),
  };
  const info = await jsm.consumers.add(options.stream, config);
  try {
    if (info.num_pending === 0) return;
    const reader = await js.consumers.get(options.stream, info.name);
    for (;;) {
      const page: JsMsg[] = [];
      let atEnd = false;
      for await (const m of await reader.fetch({ max_messages: options.pageSize, expires: options.timeoutMs })) {
        page.push(m);
        if (m.seq >= options.endSeq || m.info.pending === 0) {
          atEnd = true;
          break;
        }
      }
      if (page.length === 0) throw new Error(`no message came from stream ${options.stream} within ${options.timeoutMs} ms although more are stored`);
      yield page;
      if (atEnd) return;
    }
  } finally {
    void jsm.consumers.delete(options.stream, info.name).catch(() => undefined);
  }
}

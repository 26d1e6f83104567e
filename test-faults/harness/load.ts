// A steady load of logical events, each sent with its own Idempotency-Key and retried with the
// same key until it gets a 202, as a careful producer would.

/** The event type every scenario sends; the entity file maps it to the counters table. */
export const EVENT_TYPE = 'fault.count';

/** One logical event that got a 202. */
export interface AckedEvent {
  readonly key: string;
  readonly id: string;
  readonly account: string;
  readonly counter: number;
}

export interface LoadOptions {
  /** The gateway's base URL (asked again before every attempt: a restart may move it). */
  readonly url: () => string;
  readonly clients: number;
  /** Upper bound of logical events per client. */
  readonly eventsPerClient: number;
  /** Accounts per client; each account's counter grows with every event sent for it. */
  readonly accountsPerClient?: number;
  /** A pause between one client's events, to keep the load modest. */
  readonly pauseMs?: number;
  /** Attempts per logical event before the client gives up on it (counted as abandoned). */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
  readonly requestTimeoutMs?: number;
}

export interface LoadStats {
  /** Logical events sent (each with one key, however many attempts). */
  sent: number;
  attempts: number;
  /** Answers 503 (bus unavailable). */
  unavailable: number;
  /** Answers 429 (load shed). */
  shed: number;
  /** Connection refused, reset, or no answer in time. */
  connectionErrors: number;
  /** Answers that are neither 202 nor a reason to retry (a failure of the scenario). */
  unexpected: Array<{ key: string; status: number; body: string }>;
  /** Keys that never got a 202 within maxAttempts. */
  abandoned: string[];
  /** A retry of a key that answered a different id than the first 202 for it. */
  idMismatches: string[];
  /** Longest time from a logical event's first failed attempt to its 202. */
  longestUnavailableMs: number;
}

export interface Load {
  readonly acked: Map<string, AckedEvent>;
  readonly stats: LoadStats;
  /** Resolves once `count` events have been acknowledged (or the load ended). */
  ackedAtLeast(count: number, timeoutMs?: number): Promise<void>;
  /** Stops starting new events; the ones in flight still finish (with their retries). */
  stop(): Promise<void>;
  /** Resolves when every client is done. */
  readonly done: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `clients` concurrent producers; each sends its events one after another. */
export function startLoad(tag: string, options: LoadOptions): Load {
  const acked = new Map<string, AckedEvent>();
  const stats: LoadStats = { sent: 0, attempts: 0, unavailable: 0, shed: 0, connectionErrors: 0, unexpected: [], abandoned: [], idMismatches: [], longestUnavailableMs: 0 };
  const accounts = options.accountsPerClient ?? 3;
  const maxAttempts = options.maxAttempts ?? 1200;
  const retryDelayMs = options.retryDelayMs ?? 50;
  let stopping = false;
  let finished = false;

  const sendOne = async (key: string, account: string, counter: number): Promise<void> => {
    const body = JSON.stringify({ key, account, counter });
    let firstFailure: number | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      stats.attempts++;
      const attemptStarted = Date.now();
      let status = 0;
      let text = '';
      try {
        const response = await fetch(`${options.url()}/events/${EVENT_TYPE}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
        });
        status = response.status;
        text = await response.text();
      } catch {
        status = 0;
      }
      if (status === 202) {
        const id = (JSON.parse(text) as { id: string }).id;
        const earlier = acked.get(key);
        if (earlier !== undefined && earlier.id !== id) stats.idMismatches.push(key);
        acked.set(key, { key, id, account, counter });
        if (firstFailure !== undefined) stats.longestUnavailableMs = Math.max(stats.longestUnavailableMs, Date.now() - firstFailure);
        return;
      }
      if (status === 503) stats.unavailable++;
      else if (status === 429) stats.shed++;
      else if (status === 0) stats.connectionErrors++;
      else {
        stats.unexpected.push({ key, status, body: text.slice(0, 300) });
        return;
      }
      firstFailure ??= attemptStarted;
      await sleep(retryDelayMs);
    }
    stats.abandoned.push(key);
  };

  const client = async (c: number): Promise<void> => {
    for (let n = 0; n < options.eventsPerClient && !stopping; n++) {
      stats.sent++;
      await sendOne(`${tag}-c${c}-${n}`, `${tag}-c${c}-a${n % accounts}`, n);
      if (options.pauseMs !== undefined) await sleep(options.pauseMs);
    }
  };

  const done = Promise.all(Array.from({ length: options.clients }, (_, c) => client(c))).then(() => {
    finished = true;
  });
  return {
    acked,
    stats,
    async ackedAtLeast(count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (acked.size < count && !finished) {
        if (Date.now() > deadline) throw new Error(`only ${acked.size} of ${count} events acknowledged in ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      stopping = true;
      await done;
    },
    done,
  };
}

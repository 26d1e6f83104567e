import type { SluiceProcess } from './sluice-process.js';

/** What steady load through the gateways saw. */
export interface LoadResult {
  /** Distinct events (idempotency keys) the clients tried to send. */
  readonly sent: number;
  /** key → event id, for every event that got a 202. */
  readonly acked: Map<string, string>;
  /** Times (ms since epoch) of every 202. */
  readonly ackTimes: number[];
  /** 503 answers (each retried with the same key). */
  readonly unavailable: number;
  /** Requests that failed to connect (retried with the same key). */
  readonly connectionErrors: number;
  /** Answers other than 202 and 503, and requests that hit the client's timeout. */
  readonly unexpected: string[];
  /** Longest time any one request took to be answered. */
  readonly slowestAnswerMs: number;
  /** Every answer: which gateway (index in `gateways`), its status, when the request was sent and answered. */
  readonly answers: Answer[];
}

/** One HTTP answer a load client got. */
export interface Answer {
  readonly gateway: number;
  readonly status: number;
  readonly sentAt: number;
  readonly answeredAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `clients` concurrent senders until `until()` says stop, each posting one event per
 * request with its own Idempotency-Key, alternating gateways; a 503 or a connection error is
 * retried with the same key on the other gateway. An event still unacknowledged when the
 * sender stops keeps retrying until `giveUpAt`.
 */
export async function runLoad(options: {
  gateways: readonly SluiceProcess[];
  clients: number;
  type: string;
  until: () => boolean;
  giveUpAt: () => number;
  requestTimeoutMs: number;
}): Promise<LoadResult> {
  const acked = new Map<string, string>();
  const ackTimes: number[] = [];
  const unexpected: string[] = [];
  let sent = 0;
  let unavailable = 0;
  let connectionErrors = 0;
  let slowestAnswerMs = 0;
  const answers: Answer[] = [];
  const client = async (c: number): Promise<void> => {
    for (let n = 0; !options.until(); n++) {
      const key = `load-${c}-${n}`;
      sent++;
      for (let attempt = 0; Date.now() < options.giveUpAt(); attempt++) {
        const index = (c + n + attempt) % options.gateways.length;
        const gateway = options.gateways[index]!;
        const started = Date.now();
        try {
          const response = await fetch(`${gateway.url}/events/${options.type}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify({ key, client: c, n }),
            signal: AbortSignal.timeout(options.requestTimeoutMs),
          });
          const body = (await response.json()) as { id?: string };
          slowestAnswerMs = Math.max(slowestAnswerMs, Date.now() - started);
          answers.push({ gateway: index, status: response.status, sentAt: started, answeredAt: Date.now() });
          if (response.status === 202 && body.id !== undefined) {
            acked.set(key, body.id);
            ackTimes.push(Date.now());
            break;
          }
          if (response.status === 503) {
            unavailable++;
            await sleep(100);
            continue;
          }
          unexpected.push(`${key}: ${response.status} ${JSON.stringify(body)}`);
          break;
        } catch (error) {
          const e = error as Error;
          if (e.name === 'TimeoutError' || e.name === 'AbortError') {
            unexpected.push(`${key}: no answer within ${options.requestTimeoutMs} ms from ${gateway.url}`);
            break;
          }
          connectionErrors++;
          await sleep(100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, c) => client(c)));
  return { sent, acked, ackTimes, unavailable, connectionErrors, unexpected, slowestAnswerMs, answers };
}

/** The longest stretch between `from` and `to` in which no 202 was answered. */
export function longestGap(times: readonly number[], from: number, to: number): number {
  const sorted = [from, ...times.filter((t) => t >= from && t <= to).sort((a, b) => a - b), to];
  let longest = 0;
  for (let i = 1; i < sorted.length; i++) longest = Math.max(longest, sorted[i]! - sorted[i - 1]!);
  return longest;
}

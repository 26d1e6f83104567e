import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** One request the receiver took, with what its signature check said. */
export interface ReceivedDelivery {
  readonly id: string;
  readonly type: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Verified with the `standardwebhooks` package against the receiver's secret. */
  readonly verified: boolean;
  readonly verifyError?: string;
  readonly status: number;
  readonly at: number;
}

/** How the receiver answers a request: a status (and headers), after an optional delay; `hang` never answers. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order (repeats included). */
  readonly received: ReceivedDelivery[];
  /** The secret signatures are checked against (set once the subscription is created). */
  secret: string;
  answer: (request: { id: string; type: string; body: Buffer; attempt: number }) => Answer;
  /** Ids answered 2xx at least once. */
  deliveredIds(): Set<string>;
  /** Stops listening (the port stays known for `listen` again). */
  close(): Promise<void>;
  /** Listens again on the same port. */
  listen(): Promise<void>;
}

/**
 * A webhook endpoint on 127.0.0.1 that checks every request's Standard Webhooks signature with
 * the `standardwebhooks` package, as a real receiver would, and records what came.
 */
export async function startWebhookReceiver(options: { secret?: string; port?: number } = {}): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const attempts = new Map<string, number>();
  let server: Server | undefined;
  const sockets = new Set<import('node:net').Socket>();
  const receiver: WebhookReceiver = {
    url: '',
    port: options.port ?? 0,
    received,
    secret: options.secret ?? '',
    answer: () => ({ status: 204 }),
    deliveredIds: () => new Set(received.filter((r) => r.status >= 200 && r.status < 300 && r.verified).map((r) => r.id)),
    async close() {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async listen() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          const id = String(req.headers['webhook-id'] ?? '');
          const type = String(req.headers['ce-type'] ?? '');
          let verified = false;
          let verifyError: string | undefined;
          try {
            new Webhook(receiver.secret).verify(body, req.headers as Record<string, string>, { jsonParse: false });
            verified = true;
          } catch (error) {
            verifyError = (error as Error).message;
          }
          const attempt = (attempts.get(id) ?? 0) + 1;
          attempts.set(id, attempt);
          const answer = verified ? receiver.answer({ id, type, body, attempt }) : { status: 401 };
          if (answer === 'hang') {
            received.push({ id, type, headers: req.headers, body, verified, ...(verifyError !== undefined ? { verifyError } : {}), status: 0, at: Date.now() });
            return;
          }
          const send = () => {
            received.push({ id, type, headers: req.headers, body, verified, ...(verifyError !== undefined ? { verifyError } : {}), status: answer.status, at: Date.now() });
            res.writeHead(answer.status, answer.headers ?? {});
            res.end();
          };
          if (answer.delayMs !== undefined) setTimeout(send, answer.delayMs);
          else send();
        });
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(receiver.port, '127.0.0.1', () => resolve());
      });
      const address = s.address();
      (receiver as { port: number }).port = typeof address === 'object' && address !== null ? address.port : 0;
      (receiver as { url: string }).url = `http://127.0.0.1:${receiver.port}/hook`;
    },
  };
  await receiver.listen();
  return receiver;
}

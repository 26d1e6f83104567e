/**
 * Baseline: the gateway anyone would write first: POST → await js.publish() → 202, with nats.js
 * defaults (async traces on), one publish and one flush per request.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';

const [port, natsUrl, prefix] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl! });
const js = jetstream(nc);
const app = Fastify({ logger: false });
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post<{ Params: { type: string } }>('/events/:type', async (request, reply) => {
  JSON.parse((request.body as Buffer).toString());
  const id = randomUUID();
  await js.publish(`${prefix}.${request.params.type}`, request.body as Buffer, { msgID: id });
  return reply.code(202).send({ id });
});
const address = await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);

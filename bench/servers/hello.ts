/** Baseline: the least a Fastify server can do for an event (parse the JSON, answer 202 with an id). */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/events/:type', async (request, reply) => {
  void request.body;
  return reply.code(202).send({ id: randomUUID() });
});
const address = await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);

// A webhook receiver for the delivery bench: answers 204 at once, remembers when each
// webhook-id first arrived (ms since epoch), and tells on GET /stats.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const arrivals = new Map<string, number>();
let requests = 0;

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, unique: arrivals.size, arrivals: Object.fromEntries(arrivals) }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    arrivals.clear();
    requests = 0;
    res.writeHead(204).end();
    return;
  }
  req.resume();
  req.on('end', () => {
    requests++;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, Date.now());
    res.writeHead(204).end();
  });
}).listen(port, '127.0.0.1');

/**
 * The yardstick for lm-seats: a bare Fastify server (the very Fastify the License Manager uses, resolved from
 * packages/manager), no logger, no hooks, no schemas. Run as its own process by the benchmark:
 *
 *   node bench/src/benchmarks/bare-fastify.mjs
 *
 * GET / answers {"hello":"world"}; POST /echo answers a JSON object of the size and shape of a heartbeat answer,
 * echoing the leaseId it was sent. Listens on 127.0.0.1, an ephemeral port, and says which on stderr.
 */
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/manager/package.json', import.meta.url));
const Fastify = require('fastify');

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.post('/echo', async (request) => ({
  leaseId: String(request.body?.leaseId),
  expiresAt: '2026-11-24T13:00:00.000Z',
  status: 'Normal',
  code: 'OK',
}));

await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`bare fastify serving on http://127.0.0.1:${app.server.address().port}\n`);

const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

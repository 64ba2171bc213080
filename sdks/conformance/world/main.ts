/**
 * The world server as a process, for runners in other languages:
 *
 *   node --conditions=@tessera/source --import tsx sdks/conformance/world/main.ts
 *
 * TESSERA_POSTGRES_URL, when set, is the admin URL of the PostgreSQL cluster replicas get their databases in.
 * It prints one line of JSON, {"url":"http://127.0.0.1:PORT"}, when it is ready, and stops (with every License
 * Manager it started) when its standard input closes, so it never outlives the test that started it.
 */
import { startWorldServer } from './server.js';

// The test run's PostgreSQL, for License Manager replicas; without it the world starts its own when needed.
const server = await startWorldServer({ postgresUrl: process.env.TESSERA_POSTGRES_URL || null });
process.stdout.write(JSON.stringify({ url: server.url }) + '\n');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/**
 * The world server as a process, for runners in other languages:
 *
 *   node --conditions=@tessera/source --import tsx sdks/conformance/world/main.ts
 *
 * It prints one line of JSON, {"url":"http://127.0.0.1:PORT"}, when it is ready, and stops (with every License
 * Manager it started) when its standard input closes, so it never outlives the test that started it.
 */
import { startWorldServer } from './server.js';

const server = await startWorldServer();
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

/**
 * `npm run demo`: the whole story in one command, narrated (see story.ts). Everything runs on this machine in a
 * temporary folder that is removed at the end; `--keep` leaves it (the License Center's database, the LM's data
 * path, the mails) to look at. Exit 0 when the story ran to its end, 1 when a step failed (the message says which).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll, missingBuild } from './parts.js';
import { runDemo } from './story.js';

const keep = process.argv.includes('--keep');
const unknown = process.argv.slice(2).filter((arg) => arg !== '--keep');
if (unknown.length > 0) {
  console.error(`demo: unknown argument ${unknown[0]}; the only option is --keep (leave the demo's files in place).`);
  process.exit(2);
}
const missing = missingBuild();
if (missing) {
  console.error(`demo: ${missing} is missing; run "npm install" (it builds everything) or "npm run build" first.`);
  process.exit(1);
}

const workDir = mkdtempSync(join(tmpdir(), 'tessera-demo-'));
const interrupted = () => {
  killAll();
  if (!keep) rmSync(workDir, { recursive: true, force: true });
  process.exit(130);
};
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);

console.log('Tessera demo: a vendor sells a graphdb license, a customer runs it. The real programs, on this machine.\n');
try {
  await runDemo(workDir, { say: (line) => console.log(line) });
  process.exitCode = 0;
} catch (error) {
  console.error(`\ndemo: the story stopped: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`\nThe demo's files are in ${workDir}.`);
  else rmSync(workDir, { recursive: true, force: true });
}

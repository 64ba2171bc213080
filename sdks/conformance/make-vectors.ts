/**
 * Builds the conformance vectors (sdks/conformance/vectors/*.json): signed documents and License Manager answers
 * with the verdict every SDK must reach on them, whatever its language. Run `npm run vectors` to write them; a
 * test rebuilds them and compares bytes, so they cannot drift from core. Keys come from fixed seeds and Ed25519 is
 * deterministic, so a rerun writes the same bytes. The licenses are core's own known-answer fixtures
 * (packages/core/test/fixtures), read here, checked against the verdicts core's fixtures give them, and set
 * under a vendor root as a product sees them. These keys are for tests only and are public.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerVectors } from './vectors-answers.js';
import { leaseTokenVectors } from './vectors-tokens.js';
import { bundleVectors, licenseVectors, rootVectors } from './vectors-licenses.js';

const here = dirname(fileURLToPath(import.meta.url));
export const VECTORS_DIR = join(here, 'vectors');

/** Every vector file: name → exact text. */
export function buildVectors(): Record<string, string> {
  const files: Record<string, unknown> = {
    'licenses.json': licenseVectors(),
    'roots.json': rootVectors(),
    'trust-bundles.json': bundleVectors(),
    'lease-tokens.json': leaseTokenVectors(),
    'lm-answers.json': answerVectors(),
  };
  return Object.fromEntries(Object.entries(files).map(([name, value]) => [name, JSON.stringify(value, null, 2) + '\n']));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = buildVectors();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(VECTORS_DIR, name), text);
  const counts = Object.entries(files).map(([name, text]) => `${name}: ${(JSON.parse(text) as { vectors: unknown[] }).vectors.length}`);
  console.log(`vectors written to ${VECTORS_DIR} (${counts.join(', ')})`);
}

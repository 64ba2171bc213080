#!/usr/bin/env node
// npm run example: the core on a real example — a key, an LMID, and the verdicts for an intact, damaged,
// misplaced and near-expiry license — with nothing but the compiled core.
import { existsSync } from 'node:fs';

const core = new URL('../packages/core/dist/index.js', import.meta.url);
if (!existsSync(core)) {
  console.error('The core is not built yet. Run "npm install" (it builds), or "npm run build".');
  process.exit(1);
}
const {
  armor,
  checkLicenseKey,
  deriveLmid,
  fingerprintDigest,
  generateEd25519,
  generateOnlineKey,
  generateSigningKey,
  issueLicense,
  parseTrustBundle,
  rawPublicKey,
  serializeTrustBundle,
} = await import(core.href);

const now = Date.now();
const day = 86_400_000;
const vendor = generateSigningKey();
const trust = parseTrustBundle(serializeTrustBundle([{ kid: vendor.kid, state: 'active', publicKeyRaw: vendor.publicKeyRaw }]));
const lm = generateEd25519();
const lmid = deriveLmid(rawPublicKey(lm.publicKey), fingerprintDigest('example-host'));
const license = issueLicense(
  {
    id: 'lic_example',
    serial: 1,
    product: 'graphdb',
    customer: { id: 'cus_example', name: 'Example Customer' },
    nodes: { query: 3, storage: 5 },
    limits: {},
    features: [],
    issuedAt: new Date(now).toISOString(),
    startsAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 365 * day).toISOString(),
    mode: 'offline',
    lmid,
  },
  vendor,
);
if (!trust.ok || !license.ok) {
  console.error('The example could not be built:', trust.ok ? license.detail : trust.detail);
  process.exit(1);
}
const context = { now, lmid, product: 'graphdb' };
const verdict = (text) => {
  const v = checkLicenseKey(text, trust.value, context);
  return `${v.status} (${v.code}): ${v.detail}`;
};

console.log(`The Tessera core on a real example.

  vendor signing key   ${vendor.kid} (made now, in memory)
  License Manager      LMID ${lmid}
  online key (sample)  ${generateOnlineKey()}

Offline license key for that LMID (graphdb, query 3, storage 5, one year):

${armor(license.value)}

Verdicts:
  as issued                 ${verdict(license.value)}
  cut short                 ${verdict(license.value.slice(0, 212))}
  one character changed     ${verdict(license.value.slice(0, 100) + (license.value[100] === 'A' ? 'B' : 'A') + license.value.slice(101))}
  on another LM             ${(() => {
    const v = checkLicenseKey(license.value, trust.value, { ...context, lmid: 'QPDH-7K2M-W8RT-0C4Z' });
    return `${v.status} (${v.code})`;
  })()}
  in 360 days               ${(() => {
    const v = checkLicenseKey(license.value, trust.value, { ...context, now: now + 360 * day });
    return `${v.status} (${v.code}): ${v.detail}`;
  })()}

docs/formats.md and docs/codes.md describe the formats and outcome codes.`);

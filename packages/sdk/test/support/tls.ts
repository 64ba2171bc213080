/**
 * A certificate authority and a License Manager certificate for 127.0.0.1 signed by it, made with the openssl
 * command for each test run (nothing private is kept in the repository), as a customer's own CA would issue them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA's certificate (PEM text): what the SDK's `ca` option takes. */
  ca: string;
  /** The LM's certificate and key files, for its `tls:` setting. */
  cert: string;
  key: string;
}

export function makeCertificates(dir: string): TestCertificates {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Tessera test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...ecKey, '-keyout', file('lm.key'), '-out', file('lm.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('lm.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('lm.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('lm.pem'),
    '-days',
    '2',
    '-extfile',
    file('lm.ext'),
  );
  return { ca: readFileSync(file('ca.pem'), 'utf8'), cert: file('lm.pem'), key: file('lm.key') };
}

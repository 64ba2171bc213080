import { describe, expect, it } from 'vitest';
import { licenseChangeMail, whatToDoText } from './change-mail.js';
import { mayBeTold } from './change-notices.js';
import { ISSUED_FROM_REQUEST_CODE } from './request-codes.js';
import type { ChangedLicense } from './change-mail.js';

const URL = 'https://lc.example/licenses/lic_abc';
const license = (change: Partial<ChangedLicense> = {}): ChangedLicense => ({
  id: 'lic_abc',
  productName: 'Guard',
  mode: 'offline',
  lmid: 'QPDH-7K2M-XXXX-XXXX',
  status: 'active',
  serial: 5,
  ...change,
});
const features = [{ kind: 'features_limits', words: ['limit remote_clusters 2 → 3', 'feature federation added'] }];

describe('the mail about a changed license', () => {
  it('offline: names license, product and LMID, lists the words, and says to copy the new key and load it', () => {
    const mail = licenseChangeMail(license(), features, URL);
    expect(mail.subject).toBe('Your Guard license has changed: load the new key');
    expect(mail.text).toContain(
      'Your Guard license lic_abc has changed (offline mode, bound to License Manager QPDH-7K2M-XXXX-XXXX; now serial 5).',
    );
    expect(mail.text).toContain('What changed:\n- limit remote_clusters 2 → 3\n- feature federation added\n');
    expect(mail.text).toContain(`1. Copy the offline key: open ${URL} and press "Copy offline key".`);
    expect(mail.text).toContain('     tessera-lm load --key -\n   then paste the key and press Ctrl-D.');
    expect(mail.text).toContain('`tessera-lm info` then shows serial 5.');
    expect(mail.text).not.toContain('tessera-lm sync');
  });

  it('online: nothing to load — the next sync within the interval, or tessera-lm sync now', () => {
    const mail = licenseChangeMail(license({ mode: 'online' }), [{ kind: 'expanded', words: ['storage nodes 2 → 3'] }], URL);
    expect(mail.subject).toBe('Your Guard license has changed');
    expect(mail.text).toContain('- storage nodes 2 → 3');
    expect(mail.text).toMatch(/Nothing: License Manager QPDH-7K2M-XXXX-XXXX picks the change up at its next sync/);
    expect(mail.text).toContain('sync interval (60 minutes unless syncIntervalMinutes in its configuration says otherwise)');
    expect(mail.text).toContain('     tessera-lm sync\n');
    expect(mail.text).not.toContain('load --key');
  });

  it('switched to online or moved to another License Manager: the online key is loaded once', () => {
    const text = whatToDoText(license({ mode: 'online' }), ['mode'], URL);
    expect(text).toContain('needs the online key once');
    expect(text).toContain('press "Copy online key"');
    expect(whatToDoText(license({ mode: 'online' }), ['rebound'], URL)).toContain('tessera-lm load --key -');
  });

  it('suspended and resumed: nothing to load, and why', () => {
    const suspended = licenseChangeMail(
      license({ status: 'suspended', mode: 'online' }),
      [{ kind: 'suspended', words: ['suspended'] }],
      URL,
    );
    expect(suspended.subject).toBe('Your Guard license is suspended');
    expect(suspended.text).toContain('hands out no key for it and its License Manager cannot sync it');
    const resumed = licenseChangeMail(license(), [{ kind: 'resumed', words: ['resumed'] }], URL);
    expect(resumed.subject).toBe('Your Guard license is resumed');
    expect(resumed.text).toContain('Nothing to load: the offline key the License Manager holds keeps working');
  });

  it('not bound yet: bind a License Manager first', () => {
    const mail = licenseChangeMail(license({ lmid: null }), features, URL);
    expect(mail.subject).toBe('Your Guard license has changed');
    expect(mail.text).toContain('not bound to a License Manager yet');
    expect(mail.text).toContain(`Bind your License Manager to it: open ${URL}`);
  });
});

describe('which changes are told', () => {
  it('those that change what the customer holds or must do; not a new license, a binding or an outage grace', () => {
    for (const kind of [
      'expanded',
      'renewed',
      'features_limits',
      'suspended',
      'resumed',
      'mode',
      'rebound',
      ISSUED_FROM_REQUEST_CODE,
      'resigned',
    ])
      expect({ kind, told: mayBeTold(kind) }).toEqual({ kind, told: true });
    for (const kind of ['created', 'bound', 'outage_grace', 'renewal_requested'])
      expect({ kind, told: mayBeTold(kind) }).toEqual({ kind, told: false });
  });
});

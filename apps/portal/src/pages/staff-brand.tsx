/**
 * The vendor's brand (/staff/brand, admins): name, logo, support address, mail sender and accent colour. An empty
 * field follows the environment's value, shown as its hint. The License Center checks every value; its sentence
 * is shown at the field it names.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { components } from '../api-types';
import { useBrandReload } from '../brand';
import { fieldOf, useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { useUser } from '../session';
import { CAN } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';

type Settings = components['schemas']['BrandSettings'];
type Overrides = Settings['overrides'];
type TextField = 'name' | 'supportEmail' | 'mailFrom' | 'accent';

export function BrandPage() {
  const user = useUser();
  const settings = useLoad(() => api<Settings>('GET', '/v1/staff/brand'), 'brand');
  if (!CAN.administer(user.role))
    return (
      <section>
        <PageTitle title="Brand" />
        <StaffNav />
        <p>Only an admin can change the brand.</p>
      </section>
    );
  return (
    <section>
      <PageTitle title="Brand" />
      <StaffNav />
      <p>What customers see: the portal's header, titles and colour, and who the mails come from and are signed by.</p>
      <ErrorNotice message={settings.error} />
      {!settings.data && !settings.error ? <Loading what="the brand" /> : null}
      {settings.data ? <BrandForm settings={settings.data} onSaved={settings.setData} /> : null}
    </section>
  );
}

/** The form, filled from the overrides as loaded. */
function BrandForm({ settings, onSaved }: { settings: Settings; onSaved(settings: Settings): void }) {
  const reloadBrand = useBrandReload();
  const save = useAction();
  const o = settings.overrides;
  const [values, setValues] = useState<Record<TextField, string>>({
    name: o.name ?? '',
    supportEmail: o.supportEmail ?? '',
    mailFrom: o.mailFrom ?? '',
    accent: o.accent ?? '',
  });
  const [logo, setLogo] = useState<string | null>(o.logo);
  const [logoError, setLogoError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const set = (field: TextField) => (value: string) => setValues((v) => ({ ...v, [field]: value }));
  const pickLogo = (file: File | undefined) => {
    setLogoError(null);
    if (!file) return;
    if (file.size > 48 * 1024) {
      setLogoError(`The file is ${Math.ceil(file.size / 1024)} KiB; at most 48 KiB are taken.`);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => setLogo(String(reader.result));
    reader.onerror = () => setLogoError('The file could not be read.');
    reader.readAsDataURL(file);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const body: Overrides = {
      name: values.name.trim() || null,
      supportEmail: values.supportEmail.trim() || null,
      mailFrom: values.mailFrom.trim() || null,
      accent: values.accent.trim().toLowerCase() || null,
      logo,
    };
    const saved = await save.run(() => api<Settings>('PUT', '/v1/staff/brand', body));
    if (saved.ok) {
      onSaved(saved.value);
      reloadBrand();
      setDone('Saved. The portal and the next mails use it now.');
    }
  };
  const wrong = fieldOf(save.error, {
    name: /^name /,
    logo: /^logo /,
    supportEmail: /^supportEmail /,
    mailFrom: /^mailFrom /,
    accent: /^accent /,
  });
  const defaults = settings.defaults;
  const hint = (value: string | null) => `Empty: ${value ?? 'none'} (from the environment).`;
  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate>
      <Field
        label="Vendor name"
        value={values.name}
        onValue={set('name')}
        hint={hint(defaults.name)}
        maxLength={60}
        error={wrong === 'name' ? save.error : null}
      />
      <div className={`field${wrong === 'logo' || logoError ? ' field-invalid' : ''}`}>
        <label htmlFor="brand-logo">Logo</label>
        <div className="hint" id="brand-logo-hint">
          PNG, JPEG, WebP or SVG, at most 48 KiB. {defaults.logo ? 'Empty: the logo from the environment.' : 'Empty: no logo.'}
        </div>
        {logo ? (
          <p className="logo-preview">
            <img src={logo} alt="The logo as it is set" className="brand-logo-preview" />{' '}
            <button type="button" className="secondary" onClick={() => setLogo(null)}>
              Remove the logo
            </button>
          </p>
        ) : null}
        <input
          id="brand-logo"
          type="file"
          accept="image/png,image/jpeg,image/webp,image/svg+xml"
          aria-describedby="brand-logo-hint"
          onChange={(event) => pickLogo(event.target.files?.[0])}
        />
        <ErrorNotice message={logoError ?? (wrong === 'logo' ? save.error : null)} />
      </div>
      <Field
        label="Support address"
        type="email"
        value={values.supportEmail}
        onValue={set('supportEmail')}
        hint={hint(defaults.supportEmail)}
        error={wrong === 'supportEmail' ? save.error : null}
      />
      <Field
        label="Mail sender address"
        type="email"
        value={values.mailFrom}
        onValue={set('mailFrom')}
        hint={hint(defaults.mailFrom)}
        error={wrong === 'mailFrom' ? save.error : null}
      />
      <Field
        label="Accent colour (#rrggbb)"
        value={values.accent}
        onValue={set('accent')}
        hint={`${hint(defaults.accent)} White text must be readable on it.`}
        maxLength={7}
        spellCheck={false}
        error={wrong === 'accent' ? save.error : null}
      />
      <ErrorNotice message={wrong ? null : save.error} />
      <div className="actions">
        <button type="submit" disabled={save.busy}>
          Save the brand
        </button>
      </div>
      <SuccessNotice message={done} />
    </form>
  );
}

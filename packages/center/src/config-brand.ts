/** The vendor's brand from the environment (config.ts reads it): the defaults the staff portal's settings override. */
import { readFileSync } from 'node:fs';
import { checkAccent, checkEmail, checkLogo, checkName, logoDataUrl, NEUTRAL_BRAND } from './services/brand/brand-rules.js';
import type { Brand } from './services/brand/brand-rules.js';

export function readBrand(env: NodeJS.ProcessEnv, problems: string[]): Brand {
  const brand: Brand = { ...NEUTRAL_BRAND };
  const take = (variable: string, check: (value: string, field: string) => string | null, apply: (value: string) => void) => {
    const value = env[variable]?.trim();
    if (!value) return;
    const problem = check(value, variable);
    if (problem) problems.push(problem);
    else apply(value);
  };
  take('TESSERA_BRAND_NAME', checkName, (v) => (brand.name = v));
  take('TESSERA_SUPPORT_EMAIL', checkEmail, (v) => (brand.supportEmail = v));
  take(
    'TESSERA_BRAND_ACCENT',
    (v, f) => checkAccent(v.toLowerCase(), f),
    (v) => (brand.accent = v.toLowerCase()),
  );
  const logoFile = env.TESSERA_BRAND_LOGO_FILE?.trim();
  if (logoFile) {
    let bytes: Buffer | null = null;
    try {
      bytes = readFileSync(logoFile);
    } catch (error) {
      problems.push(`TESSERA_BRAND_LOGO_FILE: cannot read ${logoFile} (${(error as NodeJS.ErrnoException).code}).`);
    }
    const url = bytes && logoDataUrl(logoFile, bytes);
    if (bytes && !url) problems.push('TESSERA_BRAND_LOGO_FILE must be a .png, .jpg, .webp or .svg file.');
    const problem = url && checkLogo(url, 'TESSERA_BRAND_LOGO_FILE');
    if (problem) problems.push(problem);
    else if (url) brand.logo = url;
  }
  return brand;
}

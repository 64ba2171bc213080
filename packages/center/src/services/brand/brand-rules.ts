/**
 * What a vendor's brand may be: the name, logo, support address, mail sender and accent colour the portal, the mails
 * and the download page show. Checked strictly wherever a value comes from (environment or the staff portal), as
 * each one reaches HTML, mail headers or CSS: a name without markup or control characters, a logo only as a small
 * data: image (the portal's CSP allows images from itself and data: only, and stays so), a colour only as #rrggbb
 * dark enough for white text on it.
 */

export interface Brand {
  /** The vendor's name, e.g. "Acme Software". */
  name: string;
  /** A data:image/…;base64 URL, or null for none. */
  logo: string | null;
  supportEmail: string | null;
  /** #rrggbb */
  accent: string;
}

/** What is set in the staff portal; null follows the environment's value (or the neutral default). */
export interface BrandOverrides {
  name: string | null;
  logo: string | null;
  supportEmail: string | null;
  /** The sender address of the License Center's mails (the name shown is the brand's). */
  mailFrom: string | null;
  accent: string | null;
}

export const NEUTRAL_BRAND: Brand = { name: 'Tessera', logo: null, supportEmail: null, accent: '#0b5cad' };
export const MAX_LOGO_BYTES = 48 * 1024;
export const MAX_NAME = 60;

const LOGO_TYPES: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  // An SVG shown as an image (<img>) runs no script; it is never inlined into a page.
  'image/svg+xml': (b) => /<svg[\s>]/.test(b.toString('utf8')),
};

/** null when fine, else what is wrong, naming `field`. */
export function checkName(value: string, field: string): string | null {
  if (value.trim() !== value || value.length === 0 || value.length > MAX_NAME)
    return `${field} must be 1 to ${MAX_NAME} characters without spaces around it.`;
  if (/[\p{Cc}\p{Cf}<>"\\]/u.test(value)) return `${field} must not hold control characters, quotes, backslashes or < >.`;
  return null;
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkEmail(value: string, field: string): string | null {
  return value.length <= 254 && EMAIL.test(value) ? null : `${field} must be a mail address such as support@vendor.example.`;
}

export function checkAccent(value: string, field: string): string | null {
  if (!/^#[0-9a-f]{6}$/.test(value)) return `${field} must be a colour as #rrggbb in lower case, e.g. #0b5cad.`;
  const ratio = contrastWithWhite(value);
  return ratio >= 4.5
    ? null
    : `${field} ${value} is too light: white text on it has a contrast of ${ratio.toFixed(1)}:1, and at least 4.5:1 is needed.`;
}

export function checkLogo(value: string, field: string): string | null {
  const match = /^data:(image\/(?:png|jpeg|webp|svg\+xml));base64,([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!match) return `${field} must be a data:image/png, jpeg, webp or svg+xml URL in base64.`;
  const bytes = Buffer.from(match[2]!, 'base64');
  if (bytes.length > MAX_LOGO_BYTES) return `${field} is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES} bytes are taken.`;
  return LOGO_TYPES[match[1]!]!(bytes) ? null : `${field} does not hold a ${match[1]} image.`;
}

/** A logo file's bytes as a data URL, by its name's ending; null for an ending that is not an image type taken. */
export function logoDataUrl(filename: string, bytes: Buffer): string | null {
  const type = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', svg: 'image/svg+xml' }[
    filename.toLowerCase().split('.').pop() ?? ''
  ];
  return type ? `data:${type};base64,${bytes.toString('base64')}` : null;
}

/** Every problem of a set of overrides, each naming its field. */
export function checkOverrides(o: BrandOverrides): string[] {
  return [
    o.name === null ? null : checkName(o.name, 'name'),
    o.logo === null ? null : checkLogo(o.logo, 'logo'),
    o.supportEmail === null ? null : checkEmail(o.supportEmail, 'supportEmail'),
    o.mailFrom === null ? null : checkEmail(o.mailFrom, 'mailFrom'),
    o.accent === null ? null : checkAccent(o.accent, 'accent'),
  ].filter((p): p is string => p !== null);
}

/** WCAG 2 contrast ratio of #rrggbb against white. */
export function contrastWithWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  return 1.05 / (luminance + 0.05);
}

/** The accent darkened for hover and focus (each channel × 0.78). */
export function darker(hex: string): string {
  return `#${[1, 3, 5]
    .map((i) =>
      Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.78)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

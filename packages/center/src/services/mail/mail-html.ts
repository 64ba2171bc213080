/**
 * The HTML part of a mail, made from its text at sending time: the vendor's name on a bar of its accent colour,
 * the text as paragraphs with its links made links, the signature. Everything from the text and the brand is
 * escaped; the accent is a checked #rrggbb (brand-rules.ts). Mail readers show this part, the text part stays the
 * one that counts (the tests and `tessera-center mail show` read it).
 */
import { escapeHtml } from '@tessera/core';

export interface HtmlBrand {
  name: string;
  supportEmail: string | null;
  accent: string;
}

export function mailHtml(text: string, brand: HtmlBrand): string {
  const accent = /^#[0-9a-f]{6}$/.test(brand.accent) ? brand.accent : '#0b5cad';
  const paragraphs = text
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n{2,}/)
    .map((block) => `<p style="margin:0 0 1em">${block.split('\n').map(linked).join('<br>')}</p>`)
    .join('\n');
  const support = brand.supportEmail
    ? ` · Support: <a href="mailto:${escapeHtml(brand.supportEmail)}">${escapeHtml(brand.supportEmail)}</a>`
    : '';
  return `<!doctype html>
<html><body style="margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24">
<div style="background:${accent};color:#fff;padding:12px 16px;font-weight:700">${escapeHtml(brand.name)} License Center</div>
<div style="padding:16px;max-width:40em">
${paragraphs}
<p style="margin:2em 0 0;color:#57606a;font-size:13px">${escapeHtml(brand.name)}${support}</p>
</div>
</body></html>
`;
}

/** A line with its http(s) links as <a>, everything escaped. */
function linked(line: string): string {
  return line
    .split(/(https?:\/\/[^\s<>"]+)/)
    .map((part, i) => (i % 2 === 1 ? `<a href="${escapeHtml(part)}">${escapeHtml(part)}</a>` : escapeHtml(part)))
    .join('');
}

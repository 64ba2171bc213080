import { describe, expect, it } from 'vitest';
import { mailHtml } from './mail-html.js';

const brand = { name: 'Acme Cloud', supportEmail: 'help@acme.example', accent: '#1d4ed8' };

describe('mailHtml', () => {
  it('shows the text as paragraphs with its links as links, under the brand’s bar, with the signature', () => {
    const html = mailHtml('Hello Ann,\n\nOpen https://lc.example/setup#token=abc_D-1 to start.\nThanks', brand);
    expect(html).toContain('<div style="background:#1d4ed8;color:#fff;padding:12px 16px;font-weight:700">Acme Cloud License Center</div>');
    expect(html).toContain('<p style="margin:0 0 1em">Hello Ann,</p>');
    expect(html).toContain(
      'Open <a href="https://lc.example/setup#token=abc_D-1">https://lc.example/setup#token=abc_D-1</a> to start.<br>Thanks',
    );
    expect(html).toContain('Acme Cloud · Support: <a href="mailto:help@acme.example">help@acme.example</a>');
  });

  it('escapes whatever the text holds, and takes only a #rrggbb accent', () => {
    const html = mailHtml('Customer <script>alert(1)</script> & "co"\nhttps://x.example/a"onmouseover="b', {
      ...brand,
      accent: 'red;background:url(x)',
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('Customer &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;');
    expect(html).toContain('<a href="https://x.example/a">https://x.example/a</a>&quot;onmouseover=&quot;b');
    expect(html).toContain('background:#0b5cad;');
  });
});

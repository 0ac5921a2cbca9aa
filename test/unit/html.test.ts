import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from '../../src/http/html.js';

const ESCAPED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The plain definition: every special character replaced, everything else kept. */
function referenceEscape(text: string): string {
  return [...text].map((character) => ESCAPED[character] ?? character).join('');
}

describe('escapeHtml', () => {
  it('escapes each special character', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
    expect(escapeHtml('&&')).toBe('&amp;&amp;');
  });

  it('returns text without special characters unchanged', () => {
    expect(escapeHtml('')).toBe('');
    expect(escapeHtml('20251215143022_2 · Zürich')).toBe('20251215143022_2 · Zürich');
  });

  it('agrees with the plain definition on mixed text', () => {
    const alphabet = ['a', ' ', '&', '<', '>', '"', "'", 'é', '😀', ';', '#'];
    let seed = 7;
    for (let sample = 0; sample < 2000; sample++) {
      let text = '';
      for (let length = sample % 12; length > 0; length--) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        text += alphabet[seed % alphabet.length];
      }
      expect(escapeHtml(text)).toBe(referenceEscape(text));
    }
  });
});

describe('html', () => {
  it('escapes strings, keeps SafeHtml and numbers, drops null, undefined and false', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(inner).toBeInstanceOf(SafeHtml);
    expect(html`${inner}|${12.5}|${-3}|${null}|${undefined}|${false}|${'"'}`.value).toBe('<b>&lt;i&gt;</b>|12.5|-3||||&quot;');
  });

  it('renders lists, nested lists included, in order', () => {
    const rows = ['a&b', html`<br>`, ['<', 2, [html`<hr>`, null]]];
    expect(html`<p>${rows}</p>`.value).toBe('<p>a&amp;b<br>&lt;2<hr></p>');
  });

  it('keeps the literal text around every interpolation', () => {
    expect(html`start`.value).toBe('start');
    expect(html`${'x'}`.value).toBe('x');
    expect(html`a${1}b${2}c${3}d`.value).toBe('a1b2c3d');
  });
});

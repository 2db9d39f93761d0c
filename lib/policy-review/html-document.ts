// The frame of every page the DPO tooling renders: one self-contained HTML document (inline
// CSS and JS, no external resource, works offline and from file://), with a Content Security
// Policy that lets only our own inline script run, so even a string that escaped our escaping
// could not execute.
import { createHash } from 'node:crypto';
import { escapeHtml } from './escape.ts';

export interface HtmlDocument {
  html: string;
  /** The same policy as the page's <meta>, for the HTTP header (which can also forbid framing). */
  contentSecurityPolicy: string;
}

export const BASE_CSS = `
:root {
  --ink: #1d2430; --muted: #5b6574; --line: #dde1e7; --paper: #ffffff; --ground: #f4f5f7;
  --accent: #b3261e; --link: #1f4f8f;
  --legal-bg: #e4f3e8; --legal-ink: #12502a; --legal-line: #b5dcc1;
  --consent-bg: #fff2d1; --consent-ink: #6d4600; --consent-line: #ecd18c;
  --never-bg: #fbe1e3; --never-ink: #8a1c24; --never-line: #efb3b8;
  --none-ink: #7a8290;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { background: var(--ground); }
body { margin: 0; color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
a { color: var(--link); }
header.top { background: var(--paper); border-top: 4px solid var(--accent); border-bottom: 1px solid var(--line); padding: 20px 32px 14px; }
header.top .eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); font-weight: 600; }
header.top h1 { margin: 4px 0 4px; font-size: 26px; line-height: 1.2; }
header.top .meta { margin: 0; color: var(--muted); font-size: 13px; }
header.top nav { margin-top: 10px; display: flex; gap: 18px; flex-wrap: wrap; font-size: 14px; }
main { padding: 0 32px 40px; max-width: 1500px; }
section.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px 20px; margin-top: 20px; }
section.card > h2 { margin: 0 0 4px; font-size: 19px; }
section.card > p.lead { margin: 0 0 14px; color: var(--muted); max-width: 75ch; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; background: #fafbfc; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 10px; border: 1px solid var(--line); color: var(--muted); background: #fafbfc; white-space: nowrap; vertical-align: 1px; }
.badge.sensitive { color: #7a1f5c; background: #f8e6f1; border-color: #e8bcd7; }
.badge.confined { color: #fff; background: #8a1c24; border-color: #8a1c24; }
.badge.inst { color: #26344a; background: #e8edf5; border-color: #cbd5e3; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 600; font-size: 13px; border: 1px solid; }
.chip.legalBasis { background: var(--legal-bg); color: var(--legal-ink); border-color: var(--legal-line); }
.chip.consent { background: var(--consent-bg); color: var(--consent-ink); border-color: var(--consent-line); }
.chip.never { background: var(--never-bg); color: var(--never-ink); border-color: var(--never-line); }
.chip.none { background: transparent; color: var(--none-ink); border-color: var(--line); border-style: dashed; font-weight: 500; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
footer { color: var(--muted); font-size: 13px; padding: 24px 32px 40px; max-width: 1500px; }
@media print {
  html { background: #fff; }
  .no-print { display: none !important; }
  section.card { border: 0; padding: 0; margin-top: 18px; break-inside: avoid-page; }
  header.top { border-bottom: 0; padding: 0 0 8px; }
  main, footer { padding-left: 0; padding-right: 0; }
}
`;

export function htmlDocument(opts: { title: string; css: string; body: string; script?: string }): HtmlDocument {
  const script = opts.script ?? '';
  const scriptSrc = script ? `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'` : "'none'";
  const contentSecurityPolicy = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${scriptSrc}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  // </script> cannot occur in our own script; the check keeps it that way.
  if (/<\/script/i.test(script)) throw new Error('inline script must not contain </script');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy)}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(opts.title)}</title>
<style>${BASE_CSS}${opts.css}</style>
</head>
<body>
${opts.body}
${script ? `<script>${script}</script>` : ''}
</body>
</html>
`;
  return { html, contentSecurityPolicy: `${contentSecurityPolicy}; frame-ancestors 'none'` };
}

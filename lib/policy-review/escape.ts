// Escaping for every output format of the DPO tooling. Policy files, catalogue descriptions,
// SDL descriptions and access-log entries are data written by others: nothing of theirs may
// become markup, a Markdown link or a spreadsheet formula.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values (always double-quoted by our templates). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * One Markdown table cell or inline text: the punctuation CommonMark gives meaning to is
 * backslash-escaped (so `<b>`, `[x](y)` and `|` stay literal) and line breaks become spaces
 * (a newline would end the table row).
 */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`);
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. A value a spreadsheet would run as a formula (= + - @, tab, CR first) is prefixed
 * with a single quote (OWASP "CSV injection"): a token subject or a case reference is
 * free text from outside, and the DPO opens the export in a spreadsheet.
 */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Records to RFC 4180 CSV: a header row, CRLF line ends (also after the last record). */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

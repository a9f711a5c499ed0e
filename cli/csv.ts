/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes, CRLF or LF. */
export function parseCsvLine(text: string): { fields: string[]; complete: boolean } {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field.replace(/\r$/, ''));
  return { fields, complete: !quoted };
}

/** Turns a record into an object by the header; empty cells are left out. */
export const recordOf = (header: readonly string[], fields: readonly string[]): Record<string, string> =>
  Object.fromEntries(header.map((name, i) => [name, fields[i] ?? '']).filter(([, value]) => value !== ''));

/** One field as RFC 4180 writes it: quoted when it holds a quote, a comma or a line break. */
export const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

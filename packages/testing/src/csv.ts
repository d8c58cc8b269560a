// A small RFC 4180 parser for tests, independent of the renderers it checks: quoted fields may hold commas,
// quotes and newlines; rows end with CRLF or LF.

export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      endRow();
      i++;
    } else if (ch === "\n") endRow();
    else field += ch;
  }
  if (field || row.length) endRow();
  return rows;
}

/** The rows after the header, keyed by the header's names. */
export function parseCsvRecords(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsvRows(text);
  return body.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i]!])));
}

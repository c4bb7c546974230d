/**
 * The codes a README documents under a heading: the first column of the first table in that section,
 * each written `CODE`. Registries are tested against it both ways (every code documented, every
 * documented code in the code), so a code removed from either side fails a test; words elsewhere in
 * the README do not count.
 */
export function documentedCodes(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, "").trim() === heading);
  if (start < 0) throw new Error(`no section "${heading}" in the README`);
  const codes: string[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break;
    if (!line.startsWith("|")) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const first = line.split("|")[1]?.trim() ?? "";
    if (/^:?-+:?$/.test(first)) continue; // the separator row
    const code = /^`([^`]+)`$/.exec(first)?.[1];
    if (code !== undefined) codes.push(code);
  }
  if (codes.length === 0) throw new Error(`no table of \`codes\` under "${heading}" in the README`);
  return codes;
}

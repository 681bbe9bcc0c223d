/**
 * A plain-text table with a header row and columns padded to their widest cell; cells are cut to
 * `maxWidth` characters with an ellipsis.
 *
 * @example
 * formatTable(['SERVER', 'STATE'], [['files', 'ready']]);
 * // SERVER  STATE
 * // files   ready
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  maxWidth = 80,
): string {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, ' ').trim();
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const all = [headers.map(cut), ...rows.map((r) => r.map(cut))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

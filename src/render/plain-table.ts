// kubectl-style tables: no borders, upper-case headers, columns separated by three spaces.
import Table from 'cli-table3';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '   ',
};

export function renderTable(headers: string[], rows: string[][], options: { noHeaders?: boolean } = {}): string {
  const table = new Table({
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(options.noHeaders ? {} : { head: headers }),
  });
  for (const row of rows) table.push(row);
  // cli-table3 pads the last column too; kubectl does not.
  return `${table.toString().split('\n').map((l) => l.trimEnd()).join('\n')}\n`;
}

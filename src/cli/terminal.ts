// Colour and progress: only on a TTY, never with NO_COLOR; progress always on stderr. And errors as one line.

/** A message as one line: its lines trimmed, empty ones dropped, joined by spaces. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const identity = (s: string) => s;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { red: identity, green: identity, yellow: identity, dim: identity, bold: identity };
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** A one-line progress indicator on stderr, drawn only when stderr is a TTY. */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;
  private shown = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = Boolean(stream.isTTY);
  }

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\r\u001b[2K${text}`);
  }

  done(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\u001b[2K');
    this.shown = false;
  }
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

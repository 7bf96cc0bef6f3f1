// Entry point: runs oclif and turns every failure into one line on stderr and an exit code
// (1 error, 2 bad usage, 3 problems found with --exit-code). Stack traces only with --debug.
import { flush } from '@oclif/core/flush';
import { run as runOclif } from '@oclif/core/run';
import { oneLine } from './terminal.js';

interface OclifLikeError {
  message?: string;
  oclif?: { exit?: number };
  exitCode?: number;
  code?: string;
  stack?: string;
}

export async function run(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    await runOclif(argv, import.meta.url);
    await flush();
  } catch (raw) {
    const err = raw as OclifLikeError;
    // this.exit(n) throws an ExitError carrying the code.
    if (err?.code === 'EEXIT' || (err?.oclif?.exit !== undefined && /^EEXIT/.test(String(err.message)))) {
      process.exitCode = err.oclif?.exit ?? 0;
      return;
    }
    if (err?.code === 'EPIPE') return;
    if ((raw as Error)?.name === 'ExitPromptError') {
      process.stderr.write('error: cancelled\n');
      process.exitCode = 130;
      return;
    }
    const message = oneLine(String(err?.message ?? raw).replace(/\n\s*See more help with `?--help`?.*$/s, ''));
    process.stderr.write(`error: ${message}\n`);
    if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err?.exitCode ?? err?.oclif?.exit ?? 1;
  }
}

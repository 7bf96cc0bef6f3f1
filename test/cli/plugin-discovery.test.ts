import { execFileSync } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from './run-cli.js';

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasKubectl())('kubectl plugin discovery', () => {
  it('`kubectl inject status --demo` runs the plugin from PATH', async () => {
    const env = { PATH: `${dirname(BIN)}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
    const viaKubectl = await runCli(['inject', 'status', '--demo', '-o', 'json'], { env, command: ['kubectl'] });
    expect(viaKubectl.code).toBe(0);
    const direct = await runCli(['status', '--demo', '-o', 'json']);
    expect(viaKubectl.stdout).toBe(direct.stdout);
    const exit = await runCli(['inject', 'status', '--demo', '--exit-code'], { env, command: ['kubectl'] });
    expect(exit.code).toBe(3);
    const help = await runCli(['inject', '--help'], { env, command: ['kubectl'] });
    expect(help.stdout).toMatch(/\$ kubectl inject \[COMMAND\]/);
  });
});

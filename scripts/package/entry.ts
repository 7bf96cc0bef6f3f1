// Entry of the single-file release bundle: the CLI of src/cli/main.ts, except that completion requests
// (`kubectl-inject __complete WORDS...`, from kubectl_complete-inject) are answered without starting oclif.
import { run } from '../../src/cli/main.js';
import { runCompletion, type CommandTable } from '../../src/commands/completion.js';
import { COMMANDS } from '../../src/commands/index.js';

const argv = process.argv.slice(2);
if (argv[0] === '__complete') {
  runCompletion(COMMANDS as CommandTable, argv).catch(() => process.stdout.write(':1\n'));
} else {
  // Not awaited at the top level: the bundle is CommonJS (which a Node single executable requires).
  void run(argv);
}

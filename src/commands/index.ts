// The command table oclif routes with (explicit strategy: no directory scan at start-up).
import Explain from './explain.js';
import Status from './status.js';

export const COMMANDS = {
  status: Status,
  explain: Explain,
};

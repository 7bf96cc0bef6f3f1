// The command table oclif routes with (explicit strategy: no directory scan at start-up).
import Completion, { Complete } from './completion.js';
import Explain from './explain.js';
import Rollout from './rollout.js';
import Status from './status.js';

export const COMMANDS = {
  status: Status,
  explain: Explain,
  rollout: Rollout,
  completion: Completion, __complete: Complete,
};

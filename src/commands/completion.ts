// Shell completion. kubectl (>= 1.26) completes `kubectl inject <TAB>` by running the executable
// kubectl_complete-inject with the words after `inject`, the last one being the word under the cursor;
// that executable hands them to `kubectl-inject __complete WORDS...`, which answers in cobra's protocol:
// one candidate a line (`value<TAB>description`), then `:<directive>`. Commands and flags come from the
// command table, namespaces, pods and workloads from the cluster (or --demo/--snapshot) the words name.
// `kubectl-inject completion bash|zsh` prints a script completing the plugin under its own name.
import * as Args from '@oclif/core/args';
import { Command } from '@oclif/core/command';
import { appendFileSync } from 'node:fs';
import { openSource, type SourceFlagValues } from '../cli/base-command.js';
import type { RawObject } from '../cluster/records.js';
import type { ClusterSource } from '../cluster/source.js';
import { TARGET_KINDS, type TargetKind } from '../cli/target-kinds.js';

/** cobra's ShellCompDirective bits. */
export const Directive = { Error: 1, NoSpace: 2, NoFileComp: 4, FilterFileExt: 8, FilterDirs: 16, Default: 0 } as const;

interface FlagLike {
  type: string;
  char?: string;
  options?: readonly string[];
  hidden?: boolean;
  multiple?: boolean;
  allowNo?: boolean;
  summary?: string;
  description?: string;
}

interface CommandLike {
  summary?: string;
  description?: string;
  hidden?: boolean;
  flags?: Record<string, FlagLike>;
  args?: Record<string, unknown>;
}

export type CommandTable = Record<string, CommandLike>;

export interface CompletionResult {
  candidates: string[];
  directive: number;
}

/** Names from the cluster (or snapshot) the command line points at; errors give no candidates. */
export interface CompletionData {
  namespaces(flags: SourceFlagValues): Promise<string[]>;
  names(flags: SourceFlagValues, kind: ResourceKindName, namespace: string | null): Promise<string[]>;
  contexts(flags: SourceFlagValues): Promise<string[]>;
}

type ResourceKindName = TargetKind;

const TARGET_PREFIXES = ['pod/', 'deployment/', 'statefulset/', 'daemonset/'];
/** Flags whose value is a path: the shell completes files. */
const FILE_FLAGS = new Set(['kubeconfig', 'snapshot', 'filename']);
const GLOBAL_FLAGS: Record<string, FlagLike> = {
  help: { type: 'boolean', char: 'h', summary: 'show help' },
  version: { type: 'boolean', char: 'v', summary: 'show the version' },
};

function oneLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].replace(/\s+/g, ' ').trim();
}

function candidate(value: string, description?: string): string {
  const d = oneLine(description);
  return d ? `${value}\t${d}` : value;
}

interface ParsedLine {
  flags: Record<string, string | boolean>;
  used: Set<string>;
  positionals: string[];
  /** The flag whose value the word under the cursor is. */
  pendingFlag: string | null;
  afterDashDash: boolean;
}

function findShort(flags: Record<string, FlagLike>, char: string): string | undefined {
  return Object.keys(flags).find((name) => flags[name].char === char);
}

function parseWords(words: string[], flags: Record<string, FlagLike>): ParsedLine {
  const line: ParsedLine = { flags: {}, used: new Set(), positionals: [], pendingFlag: null, afterDashDash: false };
  for (const word of words) {
    if (line.pendingFlag) {
      line.flags[line.pendingFlag] = word;
      line.pendingFlag = null;
      continue;
    }
    if (line.afterDashDash || word === '-' || !word.startsWith('-')) {
      line.positionals.push(word);
      continue;
    }
    if (word === '--') {
      line.afterDashDash = true;
      continue;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = word.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) value = word.slice(eq + 1);
      if (!flags[name] && name.startsWith('no-') && flags[name.slice(3)]?.allowNo) {
        line.flags[name.slice(3)] = false;
        line.used.add(name.slice(3));
        continue;
      }
    } else {
      name = findShort(flags, word[1]);
      if (word.length > 2) value = word.slice(word[2] === '=' ? 3 : 2);
    }
    if (!name || !flags[name]) continue;
    line.used.add(name);
    if (flags[name].type === 'boolean') line.flags[name] = true;
    else if (value !== undefined) line.flags[name] = value;
    else line.pendingFlag = name;
  }
  return line;
}

function sourceFlagsOf(line: ParsedLine): SourceFlagValues {
  const str = (name: string) => (typeof line.flags[name] === 'string' ? (line.flags[name] as string) : undefined);
  return {
    kubeconfig: str('kubeconfig'),
    // A list (--context a,b): names and namespaces are completed from its first context.
    context: str('context')?.split(',')[0] || undefined,
    // A TAB should not hang for kubectl's 30 s default.
    'request-timeout': str('request-timeout') ?? '5s',
    snapshot: str('snapshot') === undefined ? undefined : [str('snapshot') as string],
    demo: line.flags.demo === true,
  };
}

const byPrefix = (prefix: string) => (value: string) => value.startsWith(prefix);

function flagNames(flags: Record<string, FlagLike>, line: ParsedLine | null, toComplete: string): string[] {
  const out: string[] = [];
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.hidden || (line?.used.has(name) && !flag.multiple)) continue;
    const description = flag.summary ?? flag.description;
    if (`--${name}`.startsWith(toComplete)) out.push(candidate(`--${name}`, description));
    // Like cobra: shorthands only for a lone dash.
    if (toComplete === '-' && flag.char) out.push(candidate(`-${flag.char}`, description));
  }
  return out;
}

async function flagValues(name: string, flag: FlagLike, line: ParsedLine, toComplete: string, data: CompletionData, prefix = ''): Promise<CompletionResult> {
  const done = (values: string[]) => ({ candidates: values.filter(byPrefix(toComplete)).map((v) => prefix + v), directive: Directive.NoFileComp });
  if (flag.options) return done([...flag.options]);
  if (FILE_FLAGS.has(name)) return { candidates: [], directive: Directive.Default };
  if (name === 'namespace') return done(await data.namespaces(sourceFlagsOf(line)));
  if (name === 'context') {
    // --context a,b,c: the name after the last comma, among those not listed yet.
    const comma = toComplete.lastIndexOf(',');
    if (comma < 0) return done(await data.contexts(sourceFlagsOf(line)));
    const listed = new Set(toComplete.slice(0, comma).split(','));
    const rest = toComplete.slice(comma + 1);
    const names = (await data.contexts(sourceFlagsOf(line))).filter((n) => !listed.has(n) && n.startsWith(rest));
    return { candidates: names.map((n) => prefix + toComplete.slice(0, comma + 1) + n), directive: Directive.NoFileComp };
  }
  return { candidates: [], directive: Directive.NoFileComp };
}

async function targetValues(line: ParsedLine, toComplete: string, data: CompletionData): Promise<CompletionResult> {
  const namespace = typeof line.flags.namespace === 'string' ? line.flags.namespace : null;
  const slash = toComplete.indexOf('/');
  if (slash >= 0) {
    const kindText = toComplete.slice(0, slash);
    const kind = TARGET_KINDS[kindText.toLowerCase()];
    if (!kind) return { candidates: [], directive: Directive.NoFileComp };
    const names = await data.names(sourceFlagsOf(line), kind, namespace);
    return { candidates: names.map((n) => `${kindText}/${n}`).filter(byPrefix(toComplete)), directive: Directive.NoFileComp };
  }
  const kinds = TARGET_PREFIXES.filter(byPrefix(toComplete.toLowerCase()));
  // A bare NAME is a pod: offer pod names once something is typed.
  const pods = toComplete ? (await data.names(sourceFlagsOf(line), 'Pod', namespace)).filter(byPrefix(toComplete)) : [];
  return { candidates: [...kinds, ...pods], directive: Directive.NoFileComp | (kinds.length > 0 ? Directive.NoSpace : 0) };
}

/** Completes `words` (the words after the program name; the last is the word under the cursor, maybe ""). */
export async function complete(commands: CommandTable, words: string[], data: CompletionData): Promise<CompletionResult> {
  const toComplete = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const visible = Object.entries(commands).filter(([, c]) => !c.hidden);
  const commandNames = () => [...visible.map(([id, c]) => candidate(id, c.summary ?? c.description)), candidate('help', 'show help for a command')].filter(byPrefix(toComplete));

  const id = before.find((w) => !w.startsWith('-'));
  if (id === undefined) {
    if (toComplete.startsWith('-')) return { candidates: flagNames(GLOBAL_FLAGS, null, toComplete), directive: Directive.NoFileComp };
    return { candidates: commandNames(), directive: Directive.NoFileComp };
  }
  if (id === 'help') {
    return { candidates: before.length === 1 ? commandNames().filter((c) => !c.startsWith('help')) : [], directive: Directive.NoFileComp };
  }
  const command = commands[id];
  if (!command || command.hidden) return { candidates: [], directive: Directive.NoFileComp };
  const flags: Record<string, FlagLike> = { ...(command.flags ?? {}), help: GLOBAL_FLAGS.help };
  const line = parseWords(before.slice(before.indexOf(id) + 1), flags);

  if (line.pendingFlag) return flagValues(line.pendingFlag, flags[line.pendingFlag], line, toComplete, data);
  if (!line.afterDashDash && toComplete.startsWith('--') && toComplete.includes('=')) {
    const eq = toComplete.indexOf('=');
    const name = toComplete.slice(2, eq);
    if (!flags[name] || flags[name].type === 'boolean') return { candidates: [], directive: Directive.NoFileComp };
    return flagValues(name, flags[name], line, toComplete.slice(eq + 1), data, toComplete.slice(0, eq + 1));
  }
  if (!line.afterDashDash && toComplete.startsWith('-')) return { candidates: flagNames(flags, line, toComplete), directive: Directive.NoFileComp };

  const argNames = Object.keys(command.args ?? {});
  const argName = argNames[line.positionals.length];
  if (argName === 'target' && typeof line.flags.filename !== 'string') return targetValues(line, toComplete, data);
  return { candidates: [], directive: Directive.NoFileComp };
}

function debugLog(message: string): void {
  // cobra's convention: completion debugging goes to $BASH_COMP_DEBUG_FILE, never to the terminal.
  const file = process.env.BASH_COMP_DEBUG_FILE;
  if (file) {
    try {
      appendFileSync(file, `kubectl-inject completion: ${message}\n`);
    } catch {
      // Nowhere else to report to.
    }
  }
}

interface Pager {
  listPages(kind: 'Namespace' | ResourceKindName, namespace: string | null): AsyncIterable<RawObject[]>;
}

/** At most this many names are offered (and listed). */
const MAX_NAMES = 2000;

async function withSource(flags: SourceFlagValues, read: (source: ClusterSource) => Promise<string[]>): Promise<string[]> {
  let source: ClusterSource | null = null;
  try {
    source = await openSource(flags);
    return [...new Set(await read(source))].sort();
  } catch (err) {
    debugLog(err instanceof Error ? err.message : String(err));
    return [];
  } finally {
    await source?.close?.().catch(() => undefined);
  }
}

async function listNames(pager: Pager, kind: 'Namespace' | ResourceKindName, namespace: string | null): Promise<string[]> {
  const names: string[] = [];
  for await (const page of pager.listPages(kind, namespace)) {
    for (const item of page) if (typeof item.metadata?.name === 'string') names.push(item.metadata.name);
    if (names.length >= MAX_NAMES) break;
  }
  return names;
}

const isPager = (source: ClusterSource): source is ClusterSource & Pager => typeof (source as Partial<Pager>).listPages === 'function';

/** Reads names from the cluster the flags select: the live API (lists only names' pages), or a snapshot/--demo. */
export const clusterData: CompletionData = {
  namespaces: (flags) =>
    withSource(flags, async (source) => {
      if (isPager(source)) return listNames(source, 'Namespace', null);
      return (await source.loadBase({ namespace: null, labelSelector: null })).namespaces.map((n) => n.name);
    }),
  names: (flags, kind, namespace) =>
    withSource(flags, async (source) => {
      const ns = namespace ?? source.defaultNamespace();
      if (isPager(source)) return listNames(source, kind, ns);
      if (kind === 'Pod') {
        const names: string[] = [];
        for await (const page of source.pods({ namespace: ns, labelSelector: null })) names.push(...page.map((p) => p.name));
        return names;
      }
      return (await source.loadBase({ namespace: ns, labelSelector: null })).workloads.filter((w) => w.kind === kind).map((w) => w.name);
    }),
  contexts: async (flags) => {
    try {
      const { contextNames } = await import('../cluster/kubeconfig.js');
      return contextNames({ kubeconfig: flags.kubeconfig });
    } catch (err) {
      debugLog(err instanceof Error ? err.message : String(err));
      return [];
    }
  },
};

/** Runs a completion request and prints the answer (cobra's protocol). `__complete` may lead the words. */
export async function runCompletion(commands: CommandTable, words: string[], data: CompletionData = clusterData): Promise<void> {
  const args = words[0] === '__complete' ? words.slice(1) : words;
  // Shell scripts pass `--` first so that oclif leaves a typed -h or --version alone.
  if (args[0] === '--') args.shift();
  if (args.length === 0) args.push('');
  const { candidates, directive } = await complete(commands, args, data);
  process.stdout.write(candidates.map((c) => `${c}\n`).join('') + `:${directive}\n`);
}

const BASH_SCRIPT = `# bash completion for kubectl-inject (kubectl-inject completion bash).
# Load it with: source <(kubectl-inject completion bash)
_kubectl_inject() {
  local cur words cword
  if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _get_comp_words_by_ref -n =: cur words cword
  else
    cur=\${COMP_WORDS[COMP_CWORD]}; words=("\${COMP_WORDS[@]}"); cword=$COMP_CWORD
  fi
  local out directive line
  out=$("\${words[0]}" __complete -- "\${words[@]:1:$((cword - 1))}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=\${out%:*}
  [[ $directive =~ ^[0-9]+$ ]] || directive=0
  (( directive & 1 )) && return
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("\${line%%$'\\t'*}")
  done <<< "$out"
  if (( directive & 2 )); then compopt -o nospace 2>/dev/null; fi
  if (( \${#COMPREPLY[@]} == 0 )) && (( !(directive & 4) )); then
    compopt -o default 2>/dev/null
  fi
  if [[ $cur == *:* ]] && declare -F __ltrim_colon_completions >/dev/null 2>&1; then
    __ltrim_colon_completions "$cur"
  fi
}
complete -o bashdefault -F _kubectl_inject kubectl-inject
`;

const ZSH_SCRIPT = `#compdef kubectl-inject
# zsh completion for kubectl-inject (kubectl-inject completion zsh).
# Load it with: source <(kubectl-inject completion zsh), or save it as _kubectl-inject in a directory of $fpath.
_kubectl-inject() {
  local -a words_before completions
  local out directive line
  words_before=("\${(@)words[2,CURRENT-1]}")
  out=$("\${words[1]}" __complete -- "\${words_before[@]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  directive=\${out##*:}
  out=\${out%:*}
  [[ $directive == <-> ]] || directive=0
  (( directive & 1 )) && return 1
  for line in "\${(@f)out}"; do
    [[ -n $line ]] || continue
    # value<TAB>description becomes value:description for _describe (colons in values escaped).
    local value=\${line%%$'\\t'*} desc=\${line#*$'\\t'}
    value=\${value//:/\\\\:}
    [[ $desc == "$line" ]] && completions+=("$value") || completions+=("$value:$desc")
  done
  if (( \${#completions[@]} == 0 )); then
    (( directive & 4 )) && return 1
    _files
    return
  fi
  if (( directive & 2 )); then
    _describe -t values 'completions' completions -S ''
  else
    _describe -t values 'completions' completions
  fi
}
# Autoloaded from $fpath this file is the function's first run; sourced (after compinit), it registers it.
if [[ $funcstack[1] == _kubectl-inject ]]; then
  _kubectl-inject "$@"
else
  compdef _kubectl-inject kubectl-inject
fi
`;

export const COMPLETION_SCRIPTS: Record<string, string> = { bash: BASH_SCRIPT, zsh: ZSH_SCRIPT };

export default class Completion extends Command {
  static override summary = 'Print a shell completion script for kubectl-inject (bash or zsh)';
  static override description =
    'For `kubectl inject <TAB>` nothing is needed beyond kubectl\'s own completion: kubectl (1.26 or later) asks the kubectl_complete-inject executable shipped beside kubectl-inject. This script completes the plugin when it is run by its own name, kubectl-inject.';
  static override examples = ['source <(kubectl-inject completion bash)', 'kubectl-inject completion zsh > "${fpath[1]}/_kubectl-inject"'];
  static override args = {
    shell: Args.string({ description: 'the shell', options: ['bash', 'zsh'], required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(COMPLETION_SCRIPTS[args.shell]);
  }
}

/** `kubectl-inject __complete WORDS...`: the completion protocol kubectl_complete-inject and the scripts speak. */
export class Complete extends Command {
  static override hidden = true;
  static override strict = false;
  static override summary = 'Answer a shell completion request (cobra protocol)';

  async run(): Promise<void> {
    const { COMMANDS } = await import('./index.js');
    await runCompletion(COMMANDS as CommandTable, this.argv);
  }
}

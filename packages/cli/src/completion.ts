// `utopia completion bash|zsh|fish`: scripts generated from the command tree itself, so they
// never fall behind the commands.
import type { Command } from 'commander';
import { usageError } from './errors.js';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  out.push({
    path,
    subcommands: subs.flatMap((c) => [c.name(), ...c.aliases()]),
    options: [
      ...cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x)),
      '--help',
    ],
  });
  for (const c of subs) {
    walk(c, [...path, c.name()], out);
    for (const alias of c.aliases()) walk(c, [...path, alias], out);
  }
}

/** completionScript is used to print the script for one shell. */
export function completionScript(program: Command, shell: string): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const globals = program.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
  switch (shell) {
    case 'bash':
      return bash(nodes, globals);
    case 'zsh':
      return `#compdef utopia\nautoload -U bashcompinit && bashcompinit\n${bash(nodes, globals)}`;
    case 'fish':
      return fish(nodes);
    default:
      throw usageError(`completion: shell must be bash, zsh or fish, not ${JSON.stringify(shell)}`);
  }
}

function bash(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .map(
      (n) =>
        `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options, ...globals].join(' ')}" ;;`,
    )
    .join('\n');
  return `# utopia bash completion: source <(utopia completion bash)
_utopia() {
  local cur path="" i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${nodes
  .map((n) => `      "${n.path.join(' ')}") path="${n.path.join(' ')}" ;;`)
  .filter((l) => !l.includes('"") path'))
  .join('\n')}
    esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _utopia utopia
`;
}

function fish(nodes: Node[]): string {
  let out = '# utopia fish completion: utopia completion fish | source\ncomplete -c utopia -f\n';
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1] ?? ''}`;
    for (const s of n.subcommands) out += `complete -c utopia -n '${cond}' -a ${s}\n`;
    for (const o of n.options.filter((x) => x.startsWith('--')))
      out += `complete -c utopia -n '${cond}' -l ${o.slice(2)}\n`;
  }
  return out;
}

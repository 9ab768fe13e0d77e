/**
 * The one place where remote shell text is put together.
 *
 * A RemoteCommand can only be made with the `sh` template tag below: every interpolated value is
 * quoted here (single quotes unless it is a plain word), so no caller can splice raw text into a
 * command line. Values come from the
 * validated inventory (addresses, ports), never from Slack input — but quoting them anyway means a
 * mistake elsewhere cannot turn into command injection.
 */
declare const remoteCommandBrand: unique symbol;

export interface RemoteCommand {
  readonly text: string;
  readonly [remoteCommandBrand]: true;
}

export type CommandValue = string | number;

/** Words the shell reads as themselves anywhere: no quoting needed, so none is added. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** Reserved at the start of a command; quoted so they stay plain words wherever a value lands. */
const RESERVED = new Set(
  'if then else elif fi do done case esac while until for in function select time'.split(' '),
);

/**
 * One shell word, quoted only where needed, so commands read as a person would type them
 * (`iptables -t filter -D INPUT -p icmp -j DROP`). Anything else is POSIX single-quoted: the only
 * character that needs care inside '…' is ' itself. A word that looks like an assignment (`A=b`)
 * is quoted too, since at the start of a command the shell would assign instead of run it.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) {
    throw new Error('shellQuote: NUL byte in a remote command argument');
  }
  const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/.test(value);
  if (PLAIN_WORD.test(value) && !assignment && !RESERVED.has(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function renderValue(value: CommandValue): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new Error(`sh: only integers may be interpolated as numbers, got ${value}`);
    }
    return String(value);
  }
  return shellQuote(value);
}

/** Template tag: literal parts are trusted (they are written in this repository), values are quoted. */
export function sh(strings: TemplateStringsArray, ...values: CommandValue[]): RemoteCommand {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += renderValue(value) + (strings[i + 1] ?? '');
  });
  return { text } as RemoteCommand;
}

/**
 * A command around other commands (each already built with `sh`), which are inserted as they are:
 * `around\`if ${inner} 2>/dev/null; then :; else echo NODEV; fi\``. Values are quoted as by `sh`.
 */
export function around(
  strings: TemplateStringsArray,
  ...values: readonly (CommandValue | RemoteCommand)[]
): RemoteCommand {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += (typeof value === 'object' ? value.text : renderValue(value)) + (strings[i + 1] ?? '');
  });
  return { text } as RemoteCommand;
}

/** Several commands as one script, one per line (each already built with `sh`). */
export function script(...parts: readonly RemoteCommand[]): RemoteCommand {
  return { text: parts.map((p) => p.text).join('\n') } as RemoteCommand;
}

/** Commands run in order, each only if the one before succeeded (`a && b && c`). */
export function allOf(...parts: readonly RemoteCommand[]): RemoteCommand {
  if (parts.length === 0) throw new Error('allOf: no command');
  return { text: parts.map((p) => p.text).join(' && ') } as RemoteCommand;
}

/** A command from words, each quoted where needed: for argv built from a node's own output (an iptables rule spec). */
export function argv(words: readonly string[]): RemoteCommand {
  if (words.length === 0) throw new Error('argv: empty command');
  return { text: words.map(shellQuote).join(' ') } as RemoteCommand;
}

/** Succeeds exactly when `command` fails (its stderr silenced): "this rule is gone". */
export function negate(command: RemoteCommand): RemoteCommand {
  return { text: `! { ${command.text}; } 2>/dev/null` } as RemoteCommand;
}

/**
 * The one place where remote shell text is put together.
 *
 * A RemoteCommand can only be made with the `sh` template tag below: every interpolated value is
 * single-quoted here, so no caller can splice raw text into a command line. Values come from the
 * validated inventory (addresses, ports), never from Slack input — but quoting them anyway means a
 * mistake elsewhere cannot turn into command injection.
 */
declare const remoteCommandBrand: unique symbol;

export interface RemoteCommand {
  readonly text: string;
  readonly [remoteCommandBrand]: true;
}

export type CommandValue = string | number;

/** POSIX single-quote: the only character that needs care inside '…' is ' itself. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) {
    throw new Error('shellQuote: NUL byte in a remote command argument');
  }
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

/** Several commands as one script, one per line (each already built with `sh`). */
export function script(...parts: readonly RemoteCommand[]): RemoteCommand {
  return { text: parts.map((p) => p.text).join('\n') } as RemoteCommand;
}

/** A command from words, each quoted: for argv built from a node's own output (an iptables rule spec). */
export function argv(words: readonly string[]): RemoteCommand {
  if (words.length === 0) throw new Error('argv: empty command');
  return { text: words.map(shellQuote).join(' ') } as RemoteCommand;
}

/** Succeeds exactly when `command` fails (its stderr silenced): "this rule is gone". */
export function negate(command: RemoteCommand): RemoteCommand {
  return { text: `! { ${command.text}; } 2>/dev/null` } as RemoteCommand;
}

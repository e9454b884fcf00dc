/**
 * `$(VAR)` references as the kubelet expands them in env values, command and args (upstream's
 * forked `expansion` package): `$(NAME)` becomes the value of NAME when some context defines it
 * and stays as written otherwise; `$$` is one literal `$`; a `$` before anything else, and an
 * unterminated `$(`, are kept as they are.
 */

export type Mapping = (name: string) => string;

/** A mapping that looks names up in each context in turn and leaves unknown references alone. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const ctx of contexts) {
      const v = ctx.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1]!;
    let advance = 1;
    if (next === '$') {
      out += '$';
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close >= 0) {
        out += mapping(input.slice(i + 2, close));
        advance = close - i;
      } else {
        out += '$(';
      }
    } else {
      out += `$${next}`;
    }
    i += advance;
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}

/** Command and args with references to the container's final environment expanded. */
export function expandCommandAndArgs(command: string[] | undefined, args: string[] | undefined, env: { name: string; value: string }[]):
  { command: string[]; args: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  return { command: (command ?? []).map((s) => expand(s, mapping)), args: (args ?? []).map((s) => expand(s, mapping)) };
}

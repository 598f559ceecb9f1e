/**
 * The Prometheus text of several stream threads as one: every sample labelled with its thread
 * (`thread="StreamThread-2"`), grouped under its family's HELP and TYPE lines, each family once.
 */
export function mergeMetrics(texts: readonly { readonly thread: string; readonly text: string }[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  const familyOf = (sample: string): string => {
    // A sample line starts with its metric's name; a line that does not is its own family.
    const name = /^[^{\s]+/.exec(sample)?.[0] ?? sample;
    if (families.has(name)) return name;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return families.has(base) ? base : name;
  };
  for (const { thread, text } of texts) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const [, kind, declared] = /^# (HELP|TYPE) (\S+)/.exec(line) ?? [];
      if (declared !== undefined) {
        const family = families.get(declared) ?? { header: [], samples: [] };
        families.set(declared, family);
        if (family.header.length < 2 && !family.header.some((h) => h.startsWith(`# ${kind} `)))
          family.header.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = familyOf(line);
      const family = families.get(name) ?? { header: [], samples: [] };
      families.set(name, family);
      family.samples.push(withThread(line, thread));
    }
  }
  return [...families.values()].flatMap((f) => [...f.header, ...f.samples]).join('\n') + '\n';
}

function withThread(sample: string, thread: string): string {
  const label = `thread="${thread}"`;
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace >= 0 && brace < space) return `${sample.slice(0, brace + 1)}${label},${sample.slice(brace + 1)}`;
  return `${sample.slice(0, space)}{${label}}${sample.slice(space)}`;
}

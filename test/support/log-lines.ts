/** Checks of what a process writes: JSON log lines without repeated keys, and no Node.js warnings. */

/**
 * The keys of a JSON object's top level as written, repeats included: JSON.parse keeps only the last
 * of a repeated key, so a line like `{"task":"2_0","task":"2_0"}` parses without complaint.
 */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const start = i;
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (i >= json.length) break; // a line cut short: no more keys
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (depth === 1 && json[next] === ':') keys.push(JSON.parse(json.slice(start, i + 1)) as string);
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

/** Keys a JSON line carries more than once. */
export function repeatedKeys(json: string): string[] {
  const keys = topLevelKeys(json);
  return [...new Set(keys.filter((key, i) => keys.indexOf(key) !== i))];
}

/** How Node.js prints a process warning: `(node:1234) TimeoutNegativeWarning: ...`, `(node:1234) [DEP0040] DeprecationWarning: ...`. */
export const NODE_WARNING = /^\(node:\d+\) (\[\w+\] )?\w*Warning: /;

/** What is wrong in a process's output lines: JSON lines with repeated keys, and Node.js warnings. */
export function outputProblems(lines: readonly string[]): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    if (NODE_WARNING.test(line)) problems.push(`a Node.js warning: ${line}`);
    else if (line.startsWith('{')) {
      const repeated = repeatedKeys(line);
      if (repeated.length > 0) problems.push(`repeated keys ${repeated.join(', ')}: ${line}`);
    }
  }
  return problems;
}

import { readFileSync } from 'node:fs';

/** A YAML value as the small reader below understands it. */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** -1 for blank and comment lines, which only literal blocks keep. */
  readonly indent: number;
  readonly text: string;
  readonly raw: string;
  readonly number: number;
}

/**
 * Reads the YAML that docker-compose.yml is written in: block maps, block sequences of scalars,
 * literal block scalars (`|`), quoted and plain scalars, comments. Anchors, flow collections and
 * multi-document files are refused, so the compose file stays within what this test can check.
 */
export function readYaml(path: string): YamlValue {
  const lines: Line[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const text = raw.replace(/\s+$/, '');
      if (text.trim() === '' || text.trim().startsWith('#')) {
        lines.push({ indent: -1, text: '', raw: text, number: i + 1 });
        return;
      }
      const indent = text.length - text.trimStart().length;
      lines.push({ indent, text: text.trim(), raw: text, number: i + 1 });
    });
  const reader = new Reader(lines, path);
  return reader.block(0);
}

class Reader {
  private at = 0;
  private readonly lines: Line[];
  private readonly path: string;

  constructor(lines: Line[], path: string) {
    this.lines = lines;
    this.path = path;
  }

  block(indent: number): YamlValue {
    this.skipBlank();
    const first = this.lines[this.at];
    if (!first || first.indent < indent) return {};
    return first.text.startsWith('- ') || first.text === '-'
      ? this.sequence(first.indent)
      : this.map(first.indent);
  }

  private map(indent: number): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.at];
      if (!line || line.indent < indent) return result;
      if (line.indent > indent) this.fail(line, 'unexpected indentation');
      const match = /^([^:'"]+|'[^']*'|"[^"]*"):(?:\s+(.*))?$/.exec(line.text);
      if (!match) this.fail(line, 'expected "key: value"');
      const key = scalar(match[1]!.trim());
      this.at++;
      result[key] = this.value(match[2], indent, line);
    }
  }

  private sequence(indent: number): YamlValue[] {
    const result: YamlValue[] = [];
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.at];
      if (!line || line.indent < indent) return result;
      if (line.indent > indent || !line.text.startsWith('-')) this.fail(line, 'expected "- item"');
      this.at++;
      const rest = line.text.slice(1).trim();
      if (/^[^'"]*:\s/.test(rest) || rest.endsWith(':')) this.fail(line, 'maps in sequences are not read');
      result.push(this.value(rest === '' ? undefined : rest, indent, line));
    }
  }

  private value(inline: string | undefined, indent: number, line: Line): YamlValue {
    if (inline === undefined || inline === '') return this.block(indent + 1);
    if (inline === '|' || inline === '|-') return this.literal(indent, inline === '|-');
    if (/^[&*!]|^[[{]/.test(inline)) this.fail(line, 'anchors, tags and flow collections are not read');
    return scalar(inline);
  }

  private literal(indent: number, strip: boolean): string {
    const body: string[] = [];
    let blockIndent: number | undefined;
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      // Inside a literal block, a line starting with # is text, not a comment.
      const lineIndent = line.raw.trim() === '' ? -1 : line.raw.length - line.raw.trimStart().length;
      if (lineIndent !== -1 && lineIndent <= indent) break;
      if (lineIndent !== -1) blockIndent ??= lineIndent;
      body.push(lineIndent === -1 ? '' : line.raw.slice(blockIndent));
      this.at++;
    }
    while (body.at(-1) === '') body.pop();
    return body.join('\n') + (strip ? '' : '\n');
  }

  private skipBlank(): void {
    while (this.lines[this.at]?.indent === -1) this.at++;
  }

  private fail(line: Line, message: string): never {
    throw new Error(`${this.path}:${line.number}: ${message}: ${line.text}`);
  }
}

function scalar(text: string): string {
  const withoutComment = /^['"]/.test(text) ? text : text.replace(/\s+#.*$/, '');
  if (/^'.*'$/.test(withoutComment)) return withoutComment.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(withoutComment)) return JSON.parse(withoutComment) as string;
  return withoutComment;
}

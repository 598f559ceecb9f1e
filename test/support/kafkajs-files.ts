import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A kafkajs file compiled afresh from disk, whatever Node's module cache holds for it (the adapter
 * replaces some of kafkajs' modules there), with the requires named in `given` answered by those
 * values: kafkajs' own code, to compare the replacements with.
 */
export function compileKafkajsFile(path: string, given: Readonly<Record<string, unknown>> = {}): unknown {
  const file = require.resolve(path);
  const module = new Module(file) as Module & { _compile(code: string, file: string): void };
  module.filename = file;
  const requireOwn = module.require.bind(module);
  module.require = ((id: string) => (id in given ? given[id] : requireOwn(id))) as NodeJS.Require;
  module._compile(readFileSync(file, 'utf8'), file);
  return module.exports;
}

import Module from 'node:module';

/**
 * Puts `exports` in Node's module cache as the module at `path`, so that kafkajs, loading that file
 * later, gets them instead: how the adapter replaces a kafkajs module (it must run before kafkajs loads
 * the file; the callers check that it has not).
 */
export function replaceCachedModule(require: NodeJS.Require, path: string, exports: unknown): void {
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = exports;
  require.cache[path] = module;
}

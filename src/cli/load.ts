/** Loading what the commands work on: topology files (.ts/.js default-exporting an app) and JSON files. */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isTributaryApp, type TributaryApp } from '../app/define-app.ts';
import type { WorkerApplication } from '../worker/worker.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { isJsonObject } from '../common/json.ts';
import { errnoCode } from '../common/to-error.ts';
import { TopologyDescription, type TopologyDescriptionJson } from '../topology/describe.ts';
import { Topology } from '../topology/topology.ts';
import { topologyFromJson } from '../topology/json/from-json.ts';
import { UsageError, type CliIo } from './command.ts';

const moduleExtensions = ['.ts', '.mts', '.js', '.mjs'];

/** Where `start`, `record` and `tail` find the topology files when none are named. */
export const TOPOLOGIES_DIRECTORY = 'topologies';

/** Imports a topology file and returns the app it default-exports. */
export async function loadApp(file: string, cwd: string): Promise<TributaryApp> {
  const path = resolve(cwd, file);
  if (!moduleExtensions.includes(extname(path)))
    throw new UsageError(
      `${file}: a topology file is a .ts or .js module that default-exports defineApp({...})`,
    );
  // Checked before importing: a module the file imports that cannot be found (a package that is not
  // installed) fails the import with the same error code as the file itself missing.
  if (!existsSync(path)) throw new UsageError(`${file}: no such file`);
  let module: unknown;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigError(`cannot load topology file ${file}: ${importFailure(error)}`, { cause: error });
  }
  const exported =
    typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined;
  if (!isTributaryApp(exported))
    throw new UsageError(
      `${file}: the default export is not an application; write \`export default defineApp({ applicationId, topology })\``,
    );
  return exported;
}

/** Why importing a topology file failed, with a hint where the cause is a usual one. */
function importFailure(error: unknown): string {
  const message = errorMessage(error);
  switch (errnoCode(error)) {
    case 'ERR_MODULE_NOT_FOUND':
      // Node names the module and the file that imports it: "Cannot find package 'x' imported from /app/y.ts".
      return /^Cannot find package /.test(message)
        ? `${message} (is the package installed? npm install it in the project of the topology file)`
        : message;
    case 'ERR_UNKNOWN_FILE_EXTENSION':
      return `${message} (Node.js ${process.versions.node} does not run TypeScript files: Node.js 22.18 or newer does)`;
    default:
      return message;
  }
}

export async function readText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new UsageError(`${file}: no such file`);
    throw error;
  }
}

/**
 * A description of what a file holds: a topology file, a topology as data (JSON with "nodes"), or a
 * saved description (JSON from `tributary describe --format json`). Functions and serdes a JSON
 * topology names are not needed to describe it; placeholders stand in for them.
 */
export async function loadDescription(
  file: string,
  cwd: string,
  applicationId?: string,
): Promise<TopologyDescription> {
  if (extname(file) !== '.json') {
    const app = await loadApp(file, cwd);
    return app.buildTopology().describe({ applicationId: applicationId ?? app.applicationId });
  }
  let text: string;
  let json: unknown;
  try {
    text = await readText(file, cwd);
    json = JSON.parse(text);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: not valid JSON: ${errorMessage(error)}`);
  }
  const fields = isJsonObject(json) ? json : {};
  if (Array.isArray(fields.nodes)) {
    // The text again: reading a topology as data validates every field of it.
    const topology = topologyFromJson(text, { placeholders: true });
    const declared = typeof fields.applicationId === 'string' ? fields.applicationId : undefined;
    return topology.describe({ applicationId: applicationId ?? declared });
  }
  if (Array.isArray(fields.subtopologies)) {
    // The description checks the rest of its shape (its arrays) when it is made.
    const data = json as TopologyDescriptionJson;
    return new TopologyDescription(applicationId !== undefined ? { ...data, applicationId } : data);
  }
  throw new UsageError(
    `${file}: expected a topology as data (with "nodes") or a topology description (with "subtopologies")`,
  );
}

/** What a worker runs of an application a topology file defines. */
export function workerApplication(app: TributaryApp): WorkerApplication {
  return {
    applicationId: app.applicationId,
    topology: app.buildTopology(),
    errorHandling: app.errorHandling,
    http: app.http,
  };
}

/** The files given, or every topology file in ./topologies (files that export no application are skipped). */
export async function loadProjectApps(files: readonly string[], io: CliIo): Promise<TributaryApp[]> {
  if (files.length > 0) {
    const apps = [];
    for (const file of files) apps.push(await loadApp(file, io.cwd));
    return apps;
  }
  const directory = resolve(io.cwd, TOPOLOGIES_DIRECTORY);
  if (!existsSync(directory))
    throw new UsageError(
      `no ${TOPOLOGIES_DIRECTORY}/ directory in ${io.cwd}: name topology files, or run from a project with ${TOPOLOGIES_DIRECTORY}/`,
    );
  const candidates = readdirSync(directory, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !/\.(test|d)\.[mc]?[tj]s$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const apps = [];
  for (const name of candidates) {
    try {
      apps.push(await loadApp(join(TOPOLOGIES_DIRECTORY, name), io.cwd));
    } catch (error) {
      // Helpers beside the topologies export no application; anything else is a real problem.
      if (error instanceof UsageError && /default export is not an application/.test(error.message)) continue;
      throw error;
    }
  }
  if (apps.length === 0) throw new UsageError(`no topology files in ${directory}`);
  return apps;
}

/** The topics the applications read that are not internal to one of them (sources and global tables). */
export function topicsRead(apps: readonly TributaryApp[]): string[] {
  const names = new Set<string>();
  for (const app of apps) {
    const topology = app.buildTopology();
    for (const sub of topology.subtopologies)
      for (const ref of sub.sourceTopics) if (!ref.internal) names.add(ref.name);
    for (const global of topology.globalStores.values())
      for (const ref of global.source.topics) names.add(Topology.topicName(ref, app.applicationId));
  }
  return [...names].sort();
}

/** The topics the applications write (sinks to a fixed topic that is not internal). */
export function topicsWritten(apps: readonly TributaryApp[]): string[] {
  const names = new Set<string>();
  for (const app of apps)
    for (const node of app.buildTopology().nodes.values())
      if (node.kind === 'sink' && typeof node.topic !== 'function' && !node.topic.internal)
        names.add(node.topic.name);
  return [...names].sort();
}

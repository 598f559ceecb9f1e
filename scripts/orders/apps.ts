/**
 * The orders system's applications, loaded from `topologies/*.ts` in file-name order: the order a shell
 * expands `topologies/*.ts` to, so that a replay here delivers records to the applications in the same
 * order as `tributary replay topologies/*.ts` does.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTributaryApp, type TributaryApp } from 'tributary';

export const topologiesDirectory = fileURLToPath(new URL('../../topologies/', import.meta.url));

/** The topology files, sorted as a shell glob sorts them. */
export function topologyFiles(): string[] {
  return readdirSync(topologiesDirectory)
    .filter((file) => file.endsWith('.ts'))
    .sort();
}

export async function loadOrderApps(): Promise<TributaryApp[]> {
  const apps: TributaryApp[] = [];
  for (const file of topologyFiles()) {
    const module = (await import(pathToFileURL(`${topologiesDirectory}${file}`).href)) as {
      default?: unknown;
    };
    if (!isTributaryApp(module.default))
      throw new Error(`topologies/${file} does not default-export an application`);
    apps.push(module.default);
  }
  return apps;
}

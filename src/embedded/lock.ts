import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../errors.ts';
import { errnoCode } from '../common/to-error.ts';

/** Directories this process holds open, so a second open in the same process is refused too. */
const held = new Set<string>();

/**
 * Takes the data directory for this process: a LOCK file with our PID. Two processes appending to
 * the same partition files would corrupt them, so a lock held by a live process is refused; one left
 * by a process that is gone is taken over. Returns the release function.
 */
export function lockDirectory(directory: string): () => void {
  const path = join(directory, 'LOCK');
  if (held.has(path)) throw inUse(directory, process.pid);
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
      throw inUse(directory, owner);
    writeFileSync(path, String(process.pid));
  }
  held.add(path);
  return () => {
    held.delete(path);
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

function inUse(directory: string, pid: number): TributaryError {
  return new TributaryError(
    'TRIB_EMBEDDED_LOG',
    `the embedded log directory ${directory} is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''}; stop that process or choose another DATA_DIR`,
  );
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this module rather than from the working directory. */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The git-ignored folder that holds local data: the embedded database, generated keys and secrets. */
export function resolveDataDir(configured?: string): string {
  return configured ? resolve(configured) : join(repositoryRoot, '.data');
}

/**
 * Reads a generated file under the data folder, creating it once with `create()` when missing.
 * Concurrent starters agree on one value: the file is written exclusively and re-read on a race.
 */
export async function loadOrCreateFile(path: string, create: () => Promise<string> | string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: await readFile(path, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Only the file's own folder is private: the data folder above must stay traversable by the
  // `postgres` system user that runs the embedded database when we run as root.
  await mkdir(dirname(dirname(path)), { recursive: true });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const value = await create();
  try {
    await writeFile(path, value, { flag: 'wx', mode: 0o600 });
    return { value, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: await readFile(path, 'utf8'), created: false };
  }
}

import { readdir } from 'node:fs/promises';

/** The `.pem` files in a folder, sorted; none when the folder does not exist. */
export async function pemFilesIn(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((name) => name.endsWith('.pem')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** An error's message, for a key error that names where the key came from. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { chmodSync, mkdirSync } from 'node:fs';

/**
 * Makes `dir` (with any parent it has to make) a directory only its owner can enter: created
 * 0700, and set to 0700 when it exists already (an older version made its directories 0755).
 * Whatever is inside is then out of other users' reach, whatever its own mode. A file system
 * that refuses chmod leaves it as it was.
 */
export function ownerOnlyDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    // Left as it was: the files keep their own modes.
  }
}

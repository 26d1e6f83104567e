import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../log/index.js';
import { parseKeysFile, type ApiKey } from './key-file.js';

/**
 * Keeps a keys file's keys current without a restart. fs.watch on the file's folder sees an
 * edit at once (editors and `mv` replace the file, so the folder is watched, not the file);
 * a stat every `intervalMs` catches what fs.watch misses (network and container mounts).
 * A file that does not parse is logged and the last good keys stay in force.
 */
export class KeysFileWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStamp = '';
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly path: string,
    private readonly onKeys: (keys: ApiKey[]) => void,
    private readonly logger: Logger,
    private readonly intervalMs = 2000,
  ) {}

  /** Reads the file once (throws on a missing or broken file: the gateway must not start on it), then watches it. */
  start(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw new Error(`SLUICE_KEYS_FILE: cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    const keys = parseKeysFile(text, this.path);
    this.onKeys(keys);
    this.logger.info({ file: this.path, keys: keys.map((k) => k.name) }, 'API keys loaded');
    void this.stamp().then((s) => (this.lastStamp = s));
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), (_event, changed) => {
        if (changed === null || changed === name) this.reload();
      });
      this.watcher.unref();
      this.watcher.on('error', (error) => this.logger.warn({ err: error, file: this.path }, 'cannot watch the keys file; checking it every few seconds instead'));
    } catch (error) {
      this.logger.warn({ err: error, file: this.path }, 'cannot watch the keys file; checking it every few seconds instead');
    }
    this.timer = setInterval(() => void this.checkStamp(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async stamp(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }

  private async checkStamp(): Promise<void> {
    if ((await this.stamp()) !== this.lastStamp) this.reload();
  }

  /** One read at a time; a change during a read reads again after it. */
  private reload(): void {
    if (this.reading !== undefined) {
      this.again = true;
      return;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.reload();
      }
    });
  }

  private async read(): Promise<void> {
    const stamp = await this.stamp();
    let keys: ApiKey[];
    try {
      keys = parseKeysFile(await readFile(this.path, 'utf8'), this.path);
    } catch (error) {
      // Remember the stamp so a broken file is reported once, not every interval.
      this.lastStamp = stamp;
      this.logger.error({ file: this.path, reason: (error as Error).message }, 'the keys file is not valid; the last good keys stay in force');
      return;
    }
    this.lastStamp = stamp;
    this.onKeys(keys);
    this.logger.info({ file: this.path, keys: keys.map((k) => k.name) }, 'API keys reloaded');
  }
}

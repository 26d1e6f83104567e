/**
 * A mistake in the entity file. The message reads `FILE:LINE: reason`, so a process that
 * stops on it tells the user exactly where to look.
 */
export class EntityFileError extends Error {
  readonly code = 'entity_file_invalid' as const;
  readonly file: string;
  /** 1-based line of the mistake; 0 when the file could not be read at all. */
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EntityFileError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/**
 * A table change that would lose data or break the upsert (a changed column type, a removed
 * field, a changed key). Sluice never applies one; the message says what would be lost and
 * how to proceed by hand.
 */
export class EntityMigrationError extends Error {
  readonly code = 'entity_migration_refused' as const;
  readonly entity: string;
  /** One sentence per refused change. */
  readonly problems: readonly string[];

  constructor(entity: string, table: string, problems: readonly string[]) {
    super(`cannot migrate table ${table} of entity ${entity}:\n- ${problems.join('\n- ')}`);
    this.name = 'EntityMigrationError';
    this.entity = entity;
    this.problems = problems;
  }
}

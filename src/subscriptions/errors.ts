/** A subscription definition that cannot be used; `field` names the offending field (or is empty). */
export class SubscriptionInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(field === '' ? message : `${field}: ${message}`);
    this.name = 'SubscriptionInputError';
    this.field = field;
  }
}

/** A mistake in the subscription file; the message reads `FILE:LINE: reason`. */
export class SubscriptionFileError extends Error {
  readonly code = 'subscription_file_invalid' as const;
  readonly file: string;
  /** 1-based; 0 when the file could not be read at all. */
  readonly line: number;
  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SubscriptionFileError';
    this.file = file;
    this.line = line;
  }
}

/** A target URL that resolves to an address deliveries may not reach. */
export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

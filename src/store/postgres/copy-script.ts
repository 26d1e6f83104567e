/**
 * One simple Query that holds statements and `COPY … FROM STDIN`, with the data of every COPY
 * written right behind the Query message instead of after the server's CopyInResponse: the
 * whole script is one round trip. The protocol allows it: in copy-in mode the server reads the
 * CopyData and CopyDone that follow; should a statement fail, it discards the rest of the
 * Query, answers ReadyForQuery and drops any CopyData, CopyDone or CopyFail still arriving
 * (PostgreSQL protocol, "COPY Operations"). A `pg` Submittable: `client.query(script)`.
 */
export class CopyScript {
  callback: ((error?: Error) => void) | undefined;
  private settled = false;
  private readonly bodies: Buffer[];

  constructor(
    private readonly text: string,
    bodies: ReadonlyArray<string | Uint8Array>,
  ) {
    this.bodies = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  }

  /** Resolves once the server is ready for the next query; rejects with the first statement's error. */
  run(client: { query(submittable: CopyScript): unknown }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.callback = (error) => (error === undefined ? resolve() : reject(error));
      client.query(this);
    });
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
    for (const body of this.bodies) {
      if (body.length > 0) connection.sendCopyFromChunk(body);
      connection.endCopyFrom();
    }
  }

  handleCopyInResponse(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  handleError(error: Error): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle(undefined);
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.callback?.(error);
  }
}

/** What a Submittable uses of `pg`'s connection. */
interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

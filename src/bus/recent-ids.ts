/**
 * The ids this process stored recently, with their stream sequence: lets a status or event
 * lookup answer for an event the workers have not archived yet. Bounded: the oldest go first.
 */
export class RecentIds {
  private readonly seqById = new Map<string, number>();
  constructor(private readonly capacity: number) {}

  remember(id: string, seq: number): void {
    if (this.seqById.size >= this.capacity) {
      const oldest = this.seqById.keys().next().value;
      if (oldest !== undefined) this.seqById.delete(oldest);
    }
    this.seqById.set(id, seq);
  }

  seqOf(id: string): number | undefined {
    return this.seqById.get(id);
  }
}

import {
  buryStatement,
  childrenStatement,
  deleteStatement,
  entityColumns,
  existingColumnsQuery,
  mergeStatement,
  planEntityTable,
  qualifiedTable,
  tableKey,
  writeStatement,
  type BatchStatement,
  type EntityDefinition,
  type ExistingColumn,
  type MappedChildren,
  type MappedDelete,
  type MappedRow,
} from '../entities/index.js';
import type { WriteItem } from './port.js';
import type { SqlExecutor } from './sql-client.js';
import type { EntityTables } from './sql-store.js';

/** Where a row came from: the event's id, type and stream sequence. */
interface Origin {
  readonly messageId: string;
  readonly eventType: string;
  readonly streamSeq: number;
}

/** A row with where it came from. */
interface Sourced {
  readonly row: MappedRow;
  readonly origin: Origin;
}

/** One table's share of a batch. */
interface TableWork {
  readonly entity: EntityDefinition;
  readonly writes: Map<string, Sourced[]>;
  readonly deletes: Map<string, { del: MappedDelete; origin: Origin }>;
  readonly children: Map<string, { set: MappedChildren; origin: Origin }>;
}

/**
 * Entity tables in PostgreSQL: created and extended at migrate time, written set-wise per
 * batch — one statement per table and kind of change, never one per row. Tables are written
 * in a fixed order (entities with types by table name, then children by table name), and each
 * table's rows are locked in one pass in key order (a delete passes through the table's write
 * statement as a row of its key, then goes), so concurrent transactions cannot deadlock.
 */
export function createEntityTables(): EntityTables {
  const cache = new WeakMap<EntityDefinition, Map<string, unknown>>();
  const memo = <T>(def: EntityDefinition, kind: string, build: () => T): T => {
    let entry = cache.get(def);
    if (entry === undefined) cache.set(def, (entry = new Map()));
    if (!entry.has(kind)) entry.set(kind, build());
    return entry.get(kind) as T;
  };
  const writeRows = async (tx: SqlExecutor, def: EntityDefinition, rows: readonly Sourced[]): Promise<void> => {
    if (rows.length === 0) return;
    if (def.mode === 'merge') {
      await run(tx, memo(def, 'merge', () => mergeStatement(def)), rowParameters(def, rows, true));
    } else {
      await run(tx, memo(def, 'write', () => writeStatement(def)), rowParameters(def, rows, false));
    }
  };
  return {
    async migrate(tx: SqlExecutor, definitions: readonly EntityDefinition[]): Promise<void> {
      for (const def of definitions) {
        const query = existingColumnsQuery(def);
        const { rows } = await tx.query<ExistingColumn>(query.text, query.params);
        for (const statement of planEntityTable(def, rows.length === 0 ? null : rows)) await tx.query(statement);
      }
    },
    async write(tx: SqlExecutor, items: readonly WriteItem[]): Promise<void> {
      const tables = new Map<EntityDefinition, TableWork>();
      const work = (entity: EntityDefinition): TableWork => {
        let w = tables.get(entity);
        if (w === undefined) tables.set(entity, (w = { entity, writes: new Map(), deletes: new Map(), children: new Map() }));
        return w;
      };
      for (const item of items) {
        const rows = item.rows;
        if (rows === null) continue;
        const origin: Origin = { messageId: item.envelope.id, eventType: item.envelope.type, streamSeq: item.seq };
        for (const row of rows.writes) {
          const writes = work(row.entity).writes;
          const key = keyOf(row.entity, row.values, origin);
          const list = writes.get(key);
          if (list === undefined) writes.set(key, [{ row, origin }]);
          else list.push({ row, origin });
        }
        for (const del of rows.deletes) {
          const deletes = work(del.entity).deletes;
          const key = JSON.stringify(del.key);
          const seen = deletes.get(key);
          if (seen === undefined || origin.streamSeq >= seen.origin.streamSeq) deletes.set(key, { del, origin });
        }
        for (const set of rows.children) {
          const children = work(set.entity).children;
          const key = JSON.stringify(set.parentKey);
          const seen = children.get(key);
          if (seen === undefined || wins(set.parent.mode, origin, seen.origin)) children.set(key, { set, origin });
        }
      }
      // One fixed order for every transaction (two of a large batch run at once, and other
      // workers' too): taking row locks table by table in the order events came deadlocked them.
      const ordered = [...tables.values()].sort((a, b) => compareText(tableOrder(a.entity), tableOrder(b.entity)));
      for (const w of ordered) {
        const def = w.entity;
        const { first, late } = plan(w);
        await writeRows(tx, def, first);
        if (w.deletes.size > 0) {
          const deletes = [...w.deletes.values()];
          const statement = memo(def, 'delete', () => deleteStatement(def, deletes[0]!.del.children));
          const keyCount = tableKey(def).length;
          await run(tx, statement, [...transpose(deletes.map((d) => d.del.key), keyCount), deletes.map((d) => d.origin.messageId), deletes.map((d) => d.origin.streamSeq)]);
        }
        await writeRows(tx, def, late);
        const written = [...first, ...late];
        if (def.deletes.length > 0 && written.length > 0) {
          const keyCount = tableKey(def).length;
          await run(tx, memo(def, 'bury', () => buryStatement(def)), transpose(written.map((x) => keyValues(def, x.row.values, x.origin)), keyCount));
        }
        if (w.children.size > 0) {
          const sets = [...w.children.values()];
          const parent = sets[0]!.set.parent;
          const statement = memo(def, 'children', () => childrenStatement(def, parent));
          const rows: Sourced[] = [];
          for (const { set, origin } of sets) for (const values of set.rows) rows.push({ row: { entity: def, values }, origin });
          await run(tx, statement, [
            ...transpose(sets.map((s) => s.set.parentKey), sets[0]!.set.parentKey.length),
            sets.map((s) => s.origin.streamSeq),
            ...rowParameters(def, rows, false),
          ]);
        }
      }
    },
  };
}

/** Does `next` beat `seen` for a key? The highest sequence for upsert and merge, the lowest for insert-once and append. */
function wins(mode: EntityDefinition['mode'], next: Origin, seen: Origin): boolean {
  return mode === 'upsert' || mode === 'merge' ? next.streamSeq >= seen.streamSeq : next.streamSeq < seen.streamSeq;
}

/**
 * A table's writes for the batch, reduced per key to the change that wins, in two passes:
 * `first` locks every key the batch touches (a key with a delete passes as a row of its key
 * alone, which the delete statement then removes), `late` writes the winners of keys that a
 * delete in the same batch cleared first (events newer than the delete).
 */
function plan(w: TableWork): { first: Sourced[]; late: Sourced[] } {
  const def = w.entity;
  const first: Sourced[] = [];
  const late: Sourced[] = [];
  const keyIndexes = tableKey(def).map((k) => entityColumns(def).findIndex((c) => c.name === k));
  for (const [key, { del, origin }] of w.deletes) {
    const values: unknown[] = entityColumns(def).map(() => null);
    keyIndexes.forEach((i, n) => (values[i] = del.key[n]));
    first.push({ row: { entity: def, values, present: values.map((_, i) => keyIndexes.includes(i)) }, origin });
    const after = w.writes.get(key)?.filter((x) => x.origin.streamSeq > origin.streamSeq) ?? [];
    const winner = reduce(def, after);
    if (winner !== null) late.push(winner);
  }
  for (const [key, writes] of w.writes) {
    if (w.deletes.has(key)) continue;
    const winner = reduce(def, writes);
    if (winner !== null) first.push(winner);
  }
  return { first, late };
}

/**
 * The winning write among a key's writes. Merge folds them column by column, each column
 * taking the newest event that carries it, and says which sequence each value is from: the
 * statement then compares every column with the one that set the stored value, rather than
 * the fold's newest event with the row (which let an older event's column overwrite a newer
 * stored one).
 */
function reduce(def: EntityDefinition, writes: readonly Sourced[]): Sourced | null {
  if (writes.length === 0) return null;
  if (def.mode !== 'merge') return writes.reduce((a, b) => (wins(def.mode, b.origin, a.origin) ? b : a));
  const sorted = [...writes].sort((a, b) => a.origin.streamSeq - b.origin.streamSeq);
  const newest = sorted[sorted.length - 1]!;
  const values = [...newest.row.values];
  const seqs: (number | null)[] = values.map(() => null);
  for (const { row, origin } of sorted) {
    row.values.forEach((v, i) => {
      if (row.present?.[i] !== true) return;
      values[i] = v;
      seqs[i] = origin.streamSeq;
    });
  }
  return { origin: newest.origin, row: { entity: def, values, present: seqs.map((s) => s !== null), seqs } };
}

async function run(tx: SqlExecutor, statement: BatchStatement, params: unknown[][]): Promise<void> {
  await tx.query(statement.text, params);
}

/** Code-point order: the same in every process, whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Parents before children, by table name within a generation: the one order every transaction
 * takes its locks in. A child's copied key is longer than its parent's, so its length orders
 * the generations.
 */
function tableOrder(def: EntityDefinition): string {
  return `${String(def.parentKey.length).padStart(3, '0')}:${qualifiedTable(def)}`;
}

function keyValues(def: EntityDefinition, values: readonly unknown[], origin: Origin): unknown[] {
  const columns = entityColumns(def);
  return tableKey(def).map((k) => (k === '_message_id' ? origin.messageId : values[columns.findIndex((c) => c.name === k)]));
}

function keyOf(def: EntityDefinition, values: readonly unknown[], origin: Origin): string {
  return JSON.stringify(keyValues(def, values, origin));
}

/** Rows of `n` values as `n` column arrays. */
function transpose(rows: readonly (readonly unknown[])[], n: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: n }, () => []);
  for (const row of rows) for (let i = 0; i < n; i++) columns[i]!.push(row[i] ?? null);
  return columns;
}

/** One array per column, then message ids, event types, sequences (and `_seqs` for merge). */
function rowParameters(def: EntityDefinition, rows: ReadonlyArray<{ row: MappedRow; origin: Origin }>, withSeqs: boolean): unknown[][] {
  const width = entityColumns(def).length;
  const params = transpose(rows.map((r) => r.row.values), width);
  params.push(rows.map((r) => r.origin.messageId), rows.map((r) => r.origin.eventType), rows.map((r) => r.origin.streamSeq));
  if (withSeqs) params.push(rows.map((r) => seqsJson(def, r.row)));
  return params;
}

/** A folded merge row's `{"column": sequence}` for the columns its events carry (key columns aside). */
function seqsJson(def: EntityDefinition, row: MappedRow): string {
  const keyed = new Set(tableKey(def));
  const seqs: Record<string, number> = {};
  entityColumns(def).forEach((c, i) => {
    const seq = row.seqs?.[i];
    if (seq != null && !keyed.has(c.name)) seqs[c.name] = seq;
  });
  return JSON.stringify(seqs);
}

import {
  existingColumnsQuery,
  newestPerKey,
  planEntityTable,
  upsertParameters,
  upsertStatement,
  type CompiledEntity,
  type EntityDefinition,
  type EntityRow,
  type ExistingColumn,
  type TableName,
  type UpsertStatement,
} from '../entities/index.js';
import type { WriteItem } from './port.js';
import type { SqlExecutor } from './sql-client.js';
import type { EntityTables } from './sql-store.js';

/** Entity tables in PostgreSQL: created and extended at migrate time, upserted set-wise per batch. */
export function createEntityTables(): EntityTables {
  const statements = new Map<string, UpsertStatement>();
  const statementFor = (def: EntityDefinition): UpsertStatement => {
    let s = statements.get(def.name);
    if (s === undefined) {
      s = upsertStatement(def);
      statements.set(def.name, s);
    }
    return s;
  };
  return {
    async migrate(tx: SqlExecutor, definitions: readonly EntityDefinition[]): Promise<void> {
      for (const def of definitions) {
        const query = existingColumnsQuery(def);
        const { rows } = await tx.query<ExistingColumn>(query.text, query.params);
        for (const statement of planEntityTable(def, rows.length === 0 ? null : rows)) await tx.query(statement);
      }
    },
    async upsert(tx: SqlExecutor, items: readonly WriteItem[]): Promise<void> {
      const byEntity = new Map<CompiledEntity, EntityRow[]>();
      for (const item of items) {
        const entity = item.entity!;
        let rows = byEntity.get(entity);
        if (rows === undefined) byEntity.set(entity, (rows = []));
        rows.push({ values: entity.row(item.data as Record<string, unknown>), messageId: item.envelope.id, eventType: item.envelope.type, streamSeq: item.seq });
      }
      // Order rule: tables are written in one fixed order, by qualified name (schema, then
      // table). The two concurrent transactions of a large batch (worker SPLIT_AT) may both
      // touch two tables; taking their row locks in the order the events came (A then B in
      // one, B then A in the other) deadlocked them. Within a table, rows go in key order.
      const ordered = [...byEntity].sort(([a], [b]) => compareTables(a.definition.table, b.definition.table));
      for (const [entity, rows] of ordered) {
        const def = entity.definition;
        const newest = newestPerKey(def, rows);
        await tx.query(statementFor(def).text, upsertParameters(def, newest));
      }
    },
  };
}

function compareTables(a: TableName, b: TableName): number {
  const x = `${a.schema}.${a.name}`;
  const y = `${b.schema}.${b.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

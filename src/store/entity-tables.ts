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
      for (const [entity, rows] of byEntity) {
        const def = entity.definition;
        const newest = newestPerKey(def, rows);
        await tx.query(statementFor(def).text, upsertParameters(def, newest));
      }
    },
  };
}

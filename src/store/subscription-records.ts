import { randomUUID } from 'node:crypto';
import type { SubscriptionInput } from '../subscriptions/index.js';
import type { SubscriptionRecords } from './port.js';
import { insertAttempts, selectAttempts, selectCounts, selectDeliveries } from './queries/deliveries.js';
import {
  deleteSubscription,
  deleteUndeclared,
  insertSubscription,
  patchSubscription,
  selectSubscription,
  selectSubscriptions,
  updateDeclaredSubscription,
} from './queries/subscriptions.js';
import type { SqlClient } from './sql-client.js';

/** Subscriptions and the delivery log over any SqlClient. */
export function createSubscriptionRecords(client: SqlClient): SubscriptionRecords {
  return {
    list: () => selectSubscriptions(client),
    get: (name) => selectSubscription(client, name),
    create: (input) => insertSubscription(client, randomUUID(), input, 'api'),
    update: (name, patch) => patchSubscription(client, name, patch),
    remove: (name) => deleteSubscription(client, name),
    syncDeclared: (inputs) =>
      client.transaction(async (tx) => {
        const added: string[] = [];
        for (const input of inputs as ReadonlyArray<SubscriptionInput & { secret: string }>) {
          if ((await insertSubscription(tx, randomUUID(), input, 'file')) !== null) added.push(input.name);
          else await updateDeclaredSubscription(tx, input);
        }
        const removed = await deleteUndeclared(
          tx,
          inputs.map((i) => i.name),
        );
        return { added, removed };
      }),
    recordAttempts: async (attempts) => {
      if (attempts.length === 0) return;
      await client.transaction((tx) => insertAttempts(tx, attempts));
    },
    counts: (id) => selectCounts(client, id),
    deliveries: (id, query) => selectDeliveries(client, id, query),
    attempts: (eventIds, id) => selectAttempts(client, eventIds, id),
  };
}

import { StoreUnavailableError, type StorePort } from '../store/index.js';

/**
 * A store that is still opening (the embedded database takes seconds on first start). Until
 * it is ready every call fails as a connection error would, so the gateway answers from the
 * bus meanwhile instead of waiting; afterwards calls go straight through.
 */
export function deferredStore(shape: Pick<StorePort, 'kind' | 'concurrentWrites'>, opening: Promise<StorePort>): StorePort {
  let ready: StorePort | undefined;
  opening.then(
    (store) => {
      ready = store;
    },
    () => undefined,
  );
  const notYet = (): never => {
    throw new StoreUnavailableError('the database is still starting');
  };
  const target = (): StorePort => ready ?? notYet();
  const subscriptions = (): StorePort['subscriptions'] => target().subscriptions;
  return {
    kind: shape.kind,
    concurrentWrites: shape.concurrentWrites,
    subscriptions: {
      list: async () => subscriptions().list(),
      get: async (name) => subscriptions().get(name),
      create: async (input) => subscriptions().create(input),
      update: async (name, patch) => subscriptions().update(name, patch),
      remove: async (name) => subscriptions().remove(name),
      syncDeclared: async (inputs) => subscriptions().syncDeclared(inputs),
      recordAttempts: async (attempts) => subscriptions().recordAttempts(attempts),
      counts: async (id) => subscriptions().counts(id),
      deliveries: async (id, query) => subscriptions().deliveries(id, query),
      attempts: async (ids, id) => subscriptions().attempts(ids, id),
    },
    migrate: async (entities, options) => target().migrate(entities, options),
    writeBatch: async (items, progress) => target().writeBatch(items, progress),
    recordProgress: async (progress) => target().recordProgress(progress),
    readProgress: async (consumer) => target().readProgress(consumer),
    recordFailedAttempts: async (items) => target().recordFailedAttempts(items),
    settleFailed: async (item) => target().settleFailed(item),
    getStatus: async (id) => target().getStatus(id),
    getEvent: async (id) => target().getEvent(id),
    listEvents: async (query) => target().listEvents(query),
    selectForReplay: (selector, pageSize) => target().selectForReplay(selector, pageSize),
    countForReplay: async (selector) => target().countForReplay(selector),
    saveReplay: async (replay, selector) => target().saveReplay(replay, selector),
    getReplay: async (id) => target().getReplay(id),
    streamCreated: async (stream) => target().streamCreated(stream),
    recordStreamCreated: async (stream, created) => target().recordStreamCreated(stream, created),
    highestStreamSeq: async () => target().highestStreamSeq(),
    maintainPartitions: async (now, retention) => target().maintainPartitions(now, retention),
    ping: async () => (ready === undefined ? false : ready.ping()),
    close: async () => (await opening.catch(() => undefined))?.close(),
  };
}

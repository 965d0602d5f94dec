import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * withCommitNotifications is used to learn, in this process, the moment any transaction has
 * committed, so that watch streams read the change feed at once instead of at their next poll.
 * It wraps a dialect's driver; everything else is the dialect's own.
 */
export function withCommitNotifications(inner: Dialect, onCommit: () => void): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => notifyingDriver(inner.createDriver(), onCommit),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
  };
}

function notifyingDriver(driver: Driver, onCommit: () => void): Driver {
  const out: Driver = {
    init: () => driver.init(),
    acquireConnection: () => driver.acquireConnection(),
    beginTransaction: (c, settings) => driver.beginTransaction(c, settings),
    async commitTransaction(c: DatabaseConnection) {
      await driver.commitTransaction(c);
      onCommit();
    },
    rollbackTransaction: (c) => driver.rollbackTransaction(c),
    releaseConnection: (c) => driver.releaseConnection(c),
    destroy: () => driver.destroy(),
  };
  // Savepoints are optional in Kysely's Driver: offer them only where the dialect does.
  const { savepoint, rollbackToSavepoint, releaseSavepoint } = driver;
  if (savepoint) out.savepoint = savepoint.bind(driver);
  if (rollbackToSavepoint) out.rollbackToSavepoint = rollbackToSavepoint.bind(driver);
  if (releaseSavepoint) out.releaseSavepoint = releaseSavepoint.bind(driver);
  return out;
}

import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { entities } from './entities.js';

// Ids stay below 2^53; reading int8 as numbers keeps raw SQL rows and entities alike.
pg.types.setTypeParser(20, (value: string) => Number(value));

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  poolSize: number;
  /** Called once per SQL statement sent (feeds the statement counter in /metrics). */
  onStatement?: () => void;
}

export function ormConfig(options: OrmOptions): Options {
  return {
    clientUrl: options.url,
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    extensions: [Migrator],
    migrations: {
      migrationsList,
      // Never write snapshot files into the repository at run time.
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      tableName: 'mikro_orm_migrations',
      // Progress goes through our logger (createApp logs what was applied), not the console.
      silent: true,
    },
    pool: { min: 0, max: options.poolSize, idleTimeoutMillis: 10_000 },
    // A failed statement's error carries its SQL text, never its bound values (claimants' data).
    driverOptions: { compileSqlOnError: false },
    allowGlobalContext: false,
    debug: false,
  };
}

export async function createOrm(options: OrmOptions): Promise<Orm> {
  const orm = await MikroORM.init(ormConfig(options));
  if (options.onStatement) {
    const onStatement = options.onStatement;
    orm.em.getConnection().getKnex().on('query', () => onStatement());
  }
  return orm;
}

export async function pendingMigrations(orm: Orm): Promise<string[]> {
  return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}

export async function migrateUp(orm: Orm): Promise<string[]> {
  return (await orm.getMigrator().up()).map((m) => m.name);
}

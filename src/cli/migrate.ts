import { loadConfig } from '../config.js';
import type { Migration } from '@mikro-orm/migrations';
import { createLogger } from '../logger.js';
import { runWithDatabase } from './with-database.js';

/**
 * npm run db:migrate                 apply pending migrations
 * npm run db:migrate -- --dry-run    print the SQL of pending migrations, change nothing
 * npm run db:migrate -- --down [--to NAME]   revert the last migration (or down to NAME)
 * npm run db:migrate -- --status     list applied and pending migrations
 */
function main(): void {
  const args = process.argv.slice(2);
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  runWithDatabase(config, logger, async (orm) => {
    const migrator = orm.getMigrator();
    const toIndex = args.indexOf('--to');
    const to = toIndex >= 0 ? args[toIndex + 1] : undefined;
    if (args.includes('--dry-run')) {
      const pending = await migrator.getPendingMigrations();
      if (pending.length === 0) process.stdout.write('-- no pending migrations\n');
      const { migrationsList } = await import('../../migrations/index.js');
      for (const { name } of pending) {
        const entry = migrationsList.find((m) => m.name === name)!;
        const migration = new entry.class(orm.em.getDriver(), orm.config) as unknown as Migration;
        await migration.up();
        process.stdout.write(`-- ${name}\n${migration.getQueries().map((q) => `${String(q).trim()};`).join('\n\n')}\n\n`);
      }
    } else if (args.includes('--status')) {
      const executed = await migrator.getExecutedMigrations();
      const pending = await migrator.getPendingMigrations();
      for (const m of executed) process.stdout.write(`applied  ${m.name}\n`);
      for (const m of pending) process.stdout.write(`pending  ${m.name}\n`);
    } else if (args.includes('--down')) {
      const reverted = await migrator.down(to ? { to } : undefined);
      process.stdout.write(`reverted: ${reverted.map((m) => m.name).join(', ') || 'nothing'}\n`);
    } else {
      const applied = await migrator.up(to ? { to } : undefined);
      process.stdout.write(`applied: ${applied.map((m) => m.name).join(', ') || 'nothing (up to date)'}\n`);
    }
  });
}

main();

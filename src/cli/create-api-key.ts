import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createOrm, migrateUp } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { createApiKey } from '../modules/auth/api-keys.js';
import { ROLES, type Role } from '../modules/auth/roles.js';

/** npm run apikey:create -- --role VIEWER|INTEGRATOR|AGENT|ADMIN [--agent ID] [--label TEXT] */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const role = value('--role')?.toUpperCase();
  if (!role || !(ROLES as readonly string[]).includes(role)) {
    throw new Error(`--role is required, one of ${ROLES.join(', ')}`);
  }
  const agent = value('--agent');
  const config = loadConfig();
  const database = await openDatabase(config, createLogger('warn'));
  const orm = await createOrm({ url: database.url, poolSize: 2 });
  try {
    await migrateUp(orm);
    const created = await createApiKey(orm.em.fork(), {
      role: role as Role, agentId: agent ? Number(agent) : null, label: value('--label') ?? 'created with npm run apikey:create',
    });
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(`created a ${created.role} key (id ${created.id}); it is shown only now\n`);
  } finally {
    await orm.close(true);
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { loadConfig } from '../config.js';
import { migrateUp } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { createApiKey } from '../modules/auth/api-keys.js';
import { ROLES, type Role } from '../modules/auth/roles.js';
import { fail, runWithDatabase } from './with-database.js';

/** npm run apikey:create -- --role VIEWER|INTEGRATOR|AGENT|ADMIN [--agent ID] [--label TEXT] */
function main(): void {
  const args = process.argv.slice(2);
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const role = value('--role')?.toUpperCase();
  if (!role || !(ROLES as readonly string[]).includes(role)) {
    fail(`--role is required, one of ${ROLES.join(', ')}`);
  }
  const agent = value('--agent');
  runWithDatabase(loadConfig(), createLogger('warn'), async (orm) => {
    await migrateUp(orm);
    const created = await createApiKey(orm.em.fork(), {
      role: role as Role, agentId: agent ? Number(agent) : null, label: value('--label') ?? 'created with npm run apikey:create',
    }, 'npm run apikey:create');
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(`created a ${created.role} key (id ${created.id}); it is shown only now\n`);
  });
}

main();

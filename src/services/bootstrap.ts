import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AlreadyExists } from '../domain/errors.js';
import { SYSTEM_ACTOR } from '../domain/types.js';
import { newSecret } from './credentials.js';
import type { Services } from './index.js';

/**
 * First start with an empty store: superuser `admin` in group `admins`, with the bootstrap
 * password and an API token whose key is the bootstrap token (generated and printed once when
 * unset). A restart, or a second instance racing this one, changes nothing.
 */
export async function bootstrap(services: Services, config: Config, log: Logger): Promise<void> {
  if (await services.users.anyExist()) return;
  const password = config.bootstrap.password || newSecret('').slice(0, 24);
  const token = config.bootstrap.token || newSecret('dgt_');
  try {
    await services.units.run(async (unit) => {
      const group = (await services.groups.findByName('admins', { unit }))
        ?? (await services.groups.create({ name: 'admins', isSuperuser: true }, SYSTEM_ACTOR, { unit }));
      const admin = await services.users.create({ username: 'admin', name: 'Administrator', password, type: 'internal' }, SYSTEM_ACTOR, { unit });
      await services.groups.changeMembers(group.id, { addUsers: [admin.id] }, SYSTEM_ACTOR, { unit });
      await services.auth.createToken(admin.id, { description: 'bootstrap token', key: token }, SYSTEM_ACTOR, { unit });
    });
  } catch (e) {
    if (e instanceof AlreadyExists) return; // another instance bootstrapped first
    throw e;
  }
  log.info('created the first superuser "admin" in group "admins"');
  if (!config.bootstrap.password || !config.bootstrap.token) {
    // Printed once, to stdout only, so the operator can log in; never logged through pino.
    process.stdout.write(
      '\n  dirgate: first start — bootstrap credentials (shown once):\n'
      + (config.bootstrap.password ? '' : `    admin password: ${password}\n`)
      + (config.bootstrap.token ? '' : `    API token:      ${token}\n`)
      + '\n',
    );
  }
}

import { InvalidValue, NotFound } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';

/** Ids named in a request body: an unknown one is a 400 naming the field (the path's resource is a 404). */

/** A role given by id or by name. @throws InvalidValue */
export async function roleIdOf(services: Services, ref: unknown, field = 'role'): Promise<string> {
  if (typeof ref !== 'string' || ref === '') throw InvalidValue.field(field, 'must be a role id or name');
  try {
    return (await services.roles.get(ref)).id;
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
  }
  const byName = await services.roles.findByName(ref);
  if (!byName) throw InvalidValue.field(field, `no role with id or name ${ref}`);
  return byName.id;
}

/** A user given by id or username. @throws InvalidValue */
export async function existingUserId(services: Services, ref: unknown, field = 'user'): Promise<string> {
  if (typeof ref !== 'string' || ref === '') throw InvalidValue.field(field, 'must be a user id or username');
  try {
    return (await services.users.resolve(ref)).id;
  } catch (e) {
    if (e instanceof NotFound) throw InvalidValue.field(field, `no user with id or username ${ref}`);
    throw e;
  }
}

/** A group given by id or name. @throws InvalidValue */
export async function existingGroupId(services: Services, ref: unknown, field = 'group'): Promise<string> {
  if (typeof ref !== 'string' || ref === '') throw InvalidValue.field(field, 'must be a group id or name');
  try {
    return (await services.groups.resolve(ref)).id;
  } catch (e) {
    if (e instanceof NotFound) throw InvalidValue.field(field, `no group with id or name ${ref}`);
    throw e;
  }
}

import type { Command } from 'commander';
import { groupShape } from '../../src/domain/shapes.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import { parseOrdering } from '../../src/query/ordering.js';
import { CLI_ACTOR, print, tsvRow, type CliContext } from './context.js';

const PAGE = 500;

/** `dirgate groups …`: list and create groups, change their members. */
export function groupsCommands(program: Command, ctx: CliContext): void {
  const groups = program.command('groups').description('list and create groups, add and remove members');

  groups.command('list')
    .description('the groups matching a query (all groups without --search)')
    .option('--search <query>', 'query language, e.g. \'members.username = "bob"\'', '')
    .option('--json', 'one JSON array of groups')
    .action(async (o: { search: string; json?: boolean }) => {
      const services = await ctx.services();
      const v = parseAdminQuery(o.search, 'groups', services.config.query);
      const ordering = parseOrdering('name', 'groups');
      const all = [];
      for (let offset = 0; ; offset += PAGE) {
        const { groups: page } = await services.groups.list(v, { ordering, limit: PAGE, offset });
        const parents = await services.groups.parentsOf(page.map((g) => g.id));
        all.push(...page.map((g) => ({ group: g, parents: parents.get(g.id) ?? [] })));
        if (page.length < PAGE) break;
      }
      if (o.json) {
        print(ctx, true, all.map(({ group, parents }) => groupShape(group, parents.map((p) => p.id))), () => '');
        return;
      }
      ctx.out.write(`${tsvRow(['name', 'is_superuser', 'parents', 'id'])}\n`);
      for (const { group, parents } of all) ctx.out.write(`${tsvRow([group.name, group.isSuperuser, parents.map((p) => p.name).join(','), group.id])}\n`);
      ctx.err.write(`${all.length} group${all.length === 1 ? '' : 's'}\n`);
    });

  groups.command('create <name>')
    .description('a new group')
    .option('--parent <group...>', 'parent group(s), by name or id')
    .option('--json', 'print the group as JSON')
    .action(async (name: string, o: { parent?: string[]; json?: boolean }) => {
      const services = await ctx.services();
      const parents = await Promise.all((o.parent ?? []).map(async (p) => (await services.groups.resolve(p)).id));
      const group = await services.groups.create({ name, ...(parents.length ? { parents } : {}) }, CLI_ACTOR);
      print(ctx, !!o.json, groupShape(group, parents), () => `created group ${group.name} (${group.id})`);
    });

  for (const [name, add] of [['add-user', true], ['remove-user', false]] as const) {
    groups.command(`${name} <group> <user>`)
      .description(add ? 'make a user a member of a group' : 'take a user out of a group')
      .action(async (groupRef: string, userRef: string) => {
        const services = await ctx.services();
        const group = await services.groups.resolve(groupRef);
        const user = await services.users.resolve(userRef);
        await services.groups.changeMembers(group.id, add ? { addUsers: [user.id] } : { removeUsers: [user.id] }, CLI_ACTOR);
        ctx.err.write(`${user.username} ${add ? 'added to' : 'removed from'} ${group.name}\n`);
      });
  }
}

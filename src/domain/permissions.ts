/** Every permission dirgate knows, as DESIGN.md names them. Superusers hold all. */
export const PERMISSIONS = [
  'user.view', 'user.add', 'user.change', 'user.delete', 'user.set_password', 'user.recovery',
  'user.impersonate', 'user.export',
  'group.view', 'group.add', 'group.change', 'group.delete',
  'role.view', 'role.add', 'role.change', 'role.delete', 'role.assign',
  'application.view', 'application.change',
  'settings.change', 'event.view', 'scim.provision', 'ldap.search_full_directory',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}

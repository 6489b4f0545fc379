/** How the console writes values. */
export function when(d: Date | null): string {
  return d ? d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'never';
}

export function yesNo(b: boolean): string {
  return b ? 'Yes' : 'No';
}

export const USER_TYPE_LABELS: Record<string, string> = {
  internal: 'Internal',
  external: 'External',
  service_account: 'Service account',
  internal_service_account: 'Internal service account',
};

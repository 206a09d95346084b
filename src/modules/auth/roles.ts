/** Roles in ascending power: each role may do everything the ones before it may. */
export const ROLES = ['VIEWER', 'INTEGRATOR', 'AGENT', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

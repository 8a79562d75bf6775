/**
 * Console roles, least to most: viewers see; operators also acknowledge alarms, send routine
 * commands and approve another operator's guarded command; admins also manage accounts.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** True when `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Narrows a string to a role. */
export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

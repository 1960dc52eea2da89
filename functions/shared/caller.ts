/** The group whose members may administer users and products. */
export const ADMIN_GROUP = 'admins';

/** Who is calling, as established by the authorizer. Domain code decides what they may do. */
export interface Caller {
  readonly userId: string;
  /** Empty unless the token carried an e-mail address Cognito verified (`email_verified`). */
  readonly email: string;
  readonly groups: readonly string[];
}

export function isAdmin(caller: Caller): boolean {
  return caller.groups.includes(ADMIN_GROUP);
}

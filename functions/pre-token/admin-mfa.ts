import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { ADMIN_GROUP } from '../shared/caller';

/** The MFA methods Cognito challenges for at sign-in once enabled (UserMFASettingList). */
export const MFA_METHODS: readonly string[] = ['SOFTWARE_TOKEN_MFA', 'SMS_MFA', 'EMAIL_OTP'];

export interface AdminMfaDeps {
  /** The MFA methods enabled for the user (AdminGetUser's UserMFASettingList). */
  mfaMethods(userPoolId: string, username: string): Promise<readonly string[]>;
  /** Why a member of the admins group was left out of it in this token. */
  withheld(username: string, reason: string): void;
}

/**
 * Pre token generation (V1): a member of the admins group gets the group in the ID and access
 * tokens only when an MFA method is enabled for them. Cognito challenges such a user for a code at
 * each sign-in (MFA is optional in the pool), so an admin token always follows a second factor;
 * refreshed tokens come from a session that passed it. Without MFA, or when Cognito cannot say,
 * the token carries the user's other groups only: the user signs in as a customer and can enrol.
 */
export async function withholdAdminsWithoutMfa(
  event: PreTokenGenerationTriggerEvent,
  deps: AdminMfaDeps
): Promise<PreTokenGenerationTriggerEvent> {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  if (!groups.includes(ADMIN_GROUP)) return event;
  let reason: string;
  try {
    const methods = await deps.mfaMethods(event.userPoolId, event.userName);
    if (methods.some((m) => MFA_METHODS.includes(m))) return event;
    reason = 'no MFA method is enabled';
  } catch (error) {
    reason = `its MFA settings could not be read: ${String(error)}`;
  }
  deps.withheld(event.userName, reason);
  event.response.claimsOverrideDetails = {
    ...event.response.claimsOverrideDetails,
    groupOverrideDetails: {
      ...event.request.groupConfiguration,
      groupsToOverride: groups.filter((g) => g !== ADMIN_GROUP),
    },
  };
  return event;
}

/**
 * The user pool's pre token generation trigger where the config requires MFA of admins
 * (identity.adminsRequireMfa): keeps the admins group out of the tokens of a member without MFA
 * (admin-mfa.ts). Cognito invokes it synchronously at every sign-in and token refresh.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { withholdAdminsWithoutMfa } from './admin-mfa';

const logger = new Logger();
/** Cognito waits 5 s for a trigger: one attempt of at most 2 s, and the token goes out without admins. */
const cognito = new CognitoIdentityProviderClient({
  maxAttempts: 1,
  requestHandler: { requestTimeout: 2000 },
});

export const handler = (event: PreTokenGenerationTriggerEvent): Promise<PreTokenGenerationTriggerEvent> =>
  withholdAdminsWithoutMfa(event, {
    mfaMethods: async (UserPoolId, Username) =>
      (await cognito.send(new AdminGetUserCommand({ UserPoolId, Username }))).UserMFASettingList ?? [],
    withheld: (username, reason) => logger.warn('admins group withheld from the token', { username, reason }),
  });

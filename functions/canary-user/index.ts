/**
 * Provider of the `Custom::ApiCanaryUser` CloudFormation resource: creates the API canary's Cognito
 * user, sets its password from the canary user secret, deletes it with the stack (provision.ts).
 * CloudFormation invokes it directly (the function is the resource's ServiceToken) and waits for the
 * answer this handler PUTs to the event's pre-signed ResponseURL.
 *
 * Environment: USER_POOL_ID, CANARY_USERNAME, USER_SECRET_ARN (JSON `{username, password}`): the one
 * user this function may touch, whatever the event says.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { requireEnv } from '../shared/env';
import {
  CANARY_USER_ATTRIBUTES,
  type CanaryUserConfig,
  type CanaryUserDeps,
  handleEvent,
  sendResponse,
} from './provision';

/** Well inside the function timeout: a response that cannot be sent fails the invocation (Lambda retries). */
const RESPONSE_TIMEOUT_MS = 10_000;

const logger = new Logger();
const cognito = new CognitoIdentityProviderClient({});
const secrets = new SecretsManagerClient({});

const config: CanaryUserConfig = {
  userPoolId: requireEnv('USER_POOL_ID'),
  username: requireEnv('CANARY_USERNAME'),
  userSecretArn: requireEnv('USER_SECRET_ARN'),
};

const errorNamed = (error: unknown, ...names: string[]) =>
  error instanceof Error && names.includes(error.name);

const deps: CanaryUserDeps = {
  createUser: async (UserPoolId, Username) => {
    try {
      await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId,
          Username,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: Username },
            { Name: 'email_verified', Value: 'true' },
            ...Object.entries(CANARY_USER_ATTRIBUTES).map(([Name, Value]) => ({ Name, Value })),
          ],
        })
      );
      return 'created';
    } catch (error) {
      // Made by an earlier deploy, or by the canary itself before it lost its admin rights: kept.
      if (errorNamed(error, 'UsernameExistsException')) return 'exists';
      throw error;
    }
  },
  setPassword: async (UserPoolId, Username, Password) => {
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username, Password, Permanent: true }));
  },
  deleteUser: async (UserPoolId, Username) => {
    try {
      await cognito.send(new AdminDeleteUserCommand({ UserPoolId, Username }));
      return 'deleted';
    } catch (error) {
      if (errorNamed(error, 'UserNotFoundException', 'ResourceNotFoundException')) return 'absent';
      throw error;
    }
  },
  secretString: async (SecretId) => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId }));
    if (!SecretString) throw new Error(`secret ${SecretId} has no string value`);
    return SecretString;
  },
  log: (message, details) => logger.info(message, { ...details }),
};

export const handler = async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  logger.addContext(context);
  const response = await handleEvent(event, config, deps);
  await sendResponse(event.ResponseURL, response, RESPONSE_TIMEOUT_MS);
};

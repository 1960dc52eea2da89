import { randomBytes, randomInt } from 'node:crypto';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ADMIN_GROUP } from '../../../functions/shared/caller';
import {
  type ApiTarget,
  type CloudSettings,
  type CreateUserOptions,
  runAll,
  runId,
  type TestUser,
} from './target';

export const ROLE_SESSION_NAME = 'integration-tests';
/** Test users get addresses of the reserved example.com domain; no message is ever sent to them. */
export const TEST_USER_EMAIL_DOMAIN = 'example.com';
/** Random characters of a generated password, on top of one of each class the pool's policy requires. */
const PASSWORD_RANDOM_BYTES = 24;
const PASSWORD_CLASSES = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!#%+-=?_'];

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * A password the pool's policy accepts (lowercase, uppercase, digit, symbol, at least 8), random at
 * run time: it exists only in this process's memory, for the minutes the user lives.
 */
export function generatePassword(): string {
  const required = PASSWORD_CLASSES.map((chars) => chars.charAt(randomInt(chars.length)));
  return `${randomBytes(PASSWORD_RANDOM_BYTES).toString('base64url')}${required.join('')}`;
}

async function assumeRole(roleArn: string, region: string): Promise<Credentials> {
  const sts = new STSClient({ region });
  try {
    const { Credentials: credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME })
    );
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    };
  } finally {
    sts.destroy();
  }
}

/**
 * The deployed API. Users are real Cognito users of the stage's pool, made with the admin API
 * (AdminCreateUser without an invitation, a generated password set permanent, the admins group
 * where asked) and signed in like any client, with the app client's USER_PASSWORD_AUTH flow. The
 * admin calls and GetApiKey run with the stage's integration-test role where one is given.
 */
export async function startCloudTarget(settings: CloudSettings): Promise<ApiTarget> {
  const { region } = settings;
  const credentials = settings.roleArn ? await assumeRole(settings.roleArn, region) : undefined;
  const cognito = new CognitoIdentityProviderClient({ region, credentials });
  const apiGateway = new APIGatewayClient({ region, credentials });
  const destroyClients = (): void => {
    cognito.destroy();
    apiGateway.destroy();
  };

  let apiKey: string | undefined;
  try {
    ({ value: apiKey } = await apiGateway.send(
      new GetApiKeyCommand({ apiKey: settings.apiKeyId, includeValue: true })
    ));
  } catch (error) {
    destroyClients();
    throw error;
  }
  if (!apiKey) {
    destroyClients();
    throw new Error(`GetApiKey ${settings.apiKeyId} returned no value`);
  }

  const run = runId();
  /** Usernames to delete, recorded before anything else can fail. */
  const created: string[] = [];

  const createUser = async ({ admin, label }: CreateUserOptions): Promise<TestUser> => {
    const email = `integration-tests+${run}-${label}@${TEST_USER_EMAIL_DOMAIN}`;
    const password = generatePassword();
    // Recorded first: a create that fails after Cognito made the user still gets a delete.
    created.push(email);
    const { User: user } = await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: settings.userPoolId,
        Username: email,
        // No invitation e-mail: the suite sets the password itself.
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'given_name', Value: 'Integration' },
          { Name: 'family_name', Value: `Test ${label}` },
        ],
      })
    );
    const sub = user?.Attributes?.find((a) => a.Name === 'sub')?.Value;
    if (!sub) throw new Error(`AdminCreateUser ${email} returned no sub`);
    // Permanent: the user is CONFIRMED and signs in without a new-password challenge.
    await cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: settings.userPoolId,
        Username: email,
        Password: password,
        Permanent: true,
      })
    );
    if (admin) {
      await cognito.send(
        new AdminAddUserToGroupCommand({
          UserPoolId: settings.userPoolId,
          Username: email,
          GroupName: ADMIN_GROUP,
        })
      );
    }
    const { AuthenticationResult: result, ChallengeName: challenge } = await cognito.send(
      new InitiateAuthCommand({
        ClientId: settings.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      })
    );
    if (!result?.IdToken) {
      throw new Error(
        `Sign-in of ${email} returned no ID token${challenge ? ` (challenge ${challenge})` : ''}`
      );
    }
    return { sub, email, idToken: result.IdToken };
  };

  const deleteUser = async (username: string): Promise<void> => {
    try {
      await cognito.send(new AdminDeleteUserCommand({ UserPoolId: settings.userPoolId, Username: username }));
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
  };

  return {
    kind: 'cloud',
    baseUrl: settings.apiUrl.replace(/\/+$/, ''),
    apiKey,
    createUser,
    dispose: async () => {
      try {
        await runAll(created.map((username) => () => deleteUser(username)));
      } finally {
        destroyClients();
      }
    },
  };
}

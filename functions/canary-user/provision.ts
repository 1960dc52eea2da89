/**
 * The API canary's Cognito user, provisioned by CloudFormation (the `Custom::ApiCanaryUser` resource of
 * the ServerlessApi stack), so that the canary itself needs no Cognito admin permission: Create and
 * Update create the user (no invitation, e-mail verified; an existing user is kept) and set its
 * password, permanent, from the canary user secret; Delete deletes it.
 *
 * The user is fixed by this function's configuration (its environment), never by the event: whoever
 * invokes the function can create, reset or delete that one user and no other. The event's properties
 * repeat the same three values only so that CloudFormation updates the resource, and so sets the
 * password again, when one of them changes; properties naming another user are refused.
 *
 * The password is read from Secrets Manager here, at run time: it is never in the template, the
 * event or a log line.
 */
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';

/** Which user this function manages: from its environment. */
export interface CanaryUserConfig {
  readonly userPoolId: string;
  readonly username: string;
  readonly userSecretArn: string;
}

/** The custom resource's properties (besides ServiceToken): the same values as the configuration. */
export interface CanaryUserProperties {
  readonly UserPoolId: string;
  readonly Username: string;
  readonly UserSecretArn: string;
}

/** The AWS calls, passed in so the lifecycle is testable without AWS (index.ts wires the SDK). */
export interface CanaryUserDeps {
  /** AdminCreateUser; `exists` for UsernameExistsException. */
  readonly createUser: (userPoolId: string, username: string) => Promise<'created' | 'exists'>;
  /** AdminSetUserPassword, Permanent. */
  readonly setPassword: (userPoolId: string, username: string, password: string) => Promise<void>;
  /** AdminDeleteUser; `absent` when the user or the pool is already gone. */
  readonly deleteUser: (userPoolId: string, username: string) => Promise<'deleted' | 'absent'>;
  /** GetSecretValue: the secret's string. */
  readonly secretString: (secretArn: string) => Promise<string>;
  /** Never given the password. */
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

/** Names on the canary user's profile (the pool requires them), so it is recognisable in the pool. */
export const CANARY_USER_ATTRIBUTES = { given_name: 'Synthetics', family_name: 'Canary' } as const;

/** Handles one CloudFormation event; never throws: a failure is a FAILED response with the reason. */
export async function handleEvent(
  event: CloudFormationCustomResourceEvent,
  config: CanaryUserConfig,
  deps: CanaryUserDeps
): Promise<CloudFormationCustomResourceResponse> {
  const physicalResourceId = `${config.userPoolId}/${config.username}`;
  const common = {
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  try {
    const mine = sameUser(event.ResourceProperties, config);
    if (event.RequestType === 'Delete') {
      if (!mine) {
        // The cleanup of a replaced resource (the pool or the username changed): not this function's
        // user any more. Deleting it would need the old configuration; it stays in its pool.
        deps.log('Delete of another user than configured: left in place', {
          physicalResourceId: event.PhysicalResourceId,
        });
      } else {
        const outcome = await deps.deleteUser(config.userPoolId, config.username);
        deps.log('Canary user deleted', { outcome, physicalResourceId });
      }
      return { ...common, PhysicalResourceId: event.PhysicalResourceId, Status: 'SUCCESS' };
    }
    if (!mine) {
      throw new Error(
        `the properties name ${JSON.stringify(userOf(event.ResourceProperties))}, ` +
          `this function manages ${JSON.stringify(userOf(config))} only`
      );
    }
    const outcome = await deps.createUser(config.userPoolId, config.username);
    const password = passwordFromSecret(await deps.secretString(config.userSecretArn), config);
    await deps.setPassword(config.userPoolId, config.username, password);
    deps.log('Canary user provisioned', { requestType: event.RequestType, outcome, physicalResourceId });
    return { ...common, Status: 'SUCCESS' };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log('Canary user not provisioned', { requestType: event.RequestType, reason });
    // On a failed Create, CloudFormation's rollback sends a Delete for this id: the user is removed.
    return { ...common, Status: 'FAILED', Reason: reason };
  }
}

/** PUTs the response to CloudFormation's pre-signed URL (it carries no secret: no Data, no password). */
export async function sendResponse(
  responseUrl: string,
  response: CloudFormationCustomResourceResponse,
  timeoutMs: number
): Promise<void> {
  const body = JSON.stringify(response);
  const answer = await fetch(responseUrl, {
    method: 'PUT',
    // The pre-signed URL signs no content type: send none.
    headers: { 'content-type': '' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!answer.ok) throw new Error(`CloudFormation refused the response: HTTP ${answer.status}`);
}

function sameUser(properties: Record<string, unknown>, config: CanaryUserConfig): boolean {
  return (
    properties.UserPoolId === config.userPoolId &&
    properties.Username === config.username &&
    properties.UserSecretArn === config.userSecretArn
  );
}

function userOf(values: Record<string, unknown> | CanaryUserConfig): Record<string, unknown> {
  const fields = values as Record<string, unknown>;
  return {
    userPoolId: fields.UserPoolId ?? fields.userPoolId,
    username: fields.Username ?? fields.username,
    userSecretArn: fields.UserSecretArn ?? fields.userSecretArn,
  };
}

/** The secret is `{"username", "password"}` (generated by Secrets Manager); the username must match. */
function passwordFromSecret(secretString: string, config: CanaryUserConfig): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Never quote the secret's text: it is the password.
    throw new Error(`secret ${config.userSecretArn} is not JSON {"username", "password"}`);
  }
  const { username, password } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (typeof password !== 'string' || password === '') {
    throw new Error(`secret ${config.userSecretArn} has no "password"`);
  }
  if (username !== config.username) {
    throw new Error(
      `secret ${config.userSecretArn} is for ${JSON.stringify(username)}, not ${JSON.stringify(config.username)}`
    );
  }
  return password;
}

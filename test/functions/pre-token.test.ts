import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { type AdminMfaDeps, withholdAdminsWithoutMfa } from '../../functions/pre-token/admin-mfa';

/** The pre token generation trigger that keeps `admins` out of tokens of members without MFA. */
function tokenEvent(groups: string[] | undefined): PreTokenGenerationTriggerEvent {
  return {
    version: '1',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'us-east-1',
    userPoolId: 'us-east-1_Pool',
    userName: 'c1a2b3c4-user',
    callerContext: { awsSdkVersion: '3', clientId: 'client' },
    request: {
      userAttributes: { sub: 'c1a2b3c4-user', email: 'a@example.com' },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [], preferredRole: undefined },
    },
    response: { claimsOverrideDetails: {} },
  };
}

function fakeCognito(methods: readonly string[] | Error) {
  const calls: string[] = [];
  const withheld: string[] = [];
  const deps: AdminMfaDeps = {
    mfaMethods: (pool, user) => {
      calls.push(`${pool}/${user}`);
      return methods instanceof Error ? Promise.reject(methods) : Promise.resolve(methods);
    },
    withheld: (user, reason) => withheld.push(`${user}: ${reason}`),
  };
  return { deps, calls, withheld };
}

const overriddenGroups = (event: PreTokenGenerationTriggerEvent) =>
  event.response.claimsOverrideDetails.groupOverrideDetails?.groupsToOverride;

describe('withholdAdminsWithoutMfa', () => {
  test('an admin with TOTP enabled keeps the admins group (no override)', async () => {
    const { deps, calls, withheld } = fakeCognito(['SOFTWARE_TOKEN_MFA']);
    const event = await withholdAdminsWithoutMfa(tokenEvent(['admins', 'support']), deps);
    expect(event.response.claimsOverrideDetails).toEqual({});
    expect(calls).toEqual(['us-east-1_Pool/c1a2b3c4-user']);
    expect(withheld).toEqual([]);
  });

  test('an admin without MFA gets a token with the other groups only', async () => {
    const { deps, withheld } = fakeCognito([]);
    const event = await withholdAdminsWithoutMfa(tokenEvent(['support', 'admins']), deps);
    expect(overriddenGroups(event)).toEqual(['support']);
    expect(withheld).toEqual(['c1a2b3c4-user: no MFA method is enabled']);
  });

  test('a group whose name only contains "admins" is not the admins group and is kept', async () => {
    const { deps } = fakeCognito([]);
    const event = await withholdAdminsWithoutMfa(tokenEvent(['admins', 'support,admins']), deps);
    expect(overriddenGroups(event)).toEqual(['support,admins']);
  });

  test('when Cognito cannot say, the admins group is withheld (fails closed) and the sign-in goes on', async () => {
    const { deps, withheld } = fakeCognito(new Error('ThrottlingException'));
    const event = await withholdAdminsWithoutMfa(tokenEvent(['admins']), deps);
    expect(overriddenGroups(event)).toEqual([]);
    expect(withheld).toEqual([
      'c1a2b3c4-user: its MFA settings could not be read: Error: ThrottlingException',
    ]);
  });

  test('an unknown MFA method does not count', async () => {
    const { deps } = fakeCognito(['SOMETHING_ELSE']);
    expect(overriddenGroups(await withholdAdminsWithoutMfa(tokenEvent(['admins']), deps))).toEqual([]);
  });

  test.each([[['support']], [[]], [undefined]])(
    'a non-admin (groups %j) is not looked up and its token is unchanged',
    async (groups) => {
      const { deps, calls } = fakeCognito([]);
      const event = await withholdAdminsWithoutMfa(tokenEvent(groups), deps);
      expect(event.response.claimsOverrideDetails).toEqual({});
      expect(calls).toEqual([]);
    }
  );
});

import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { createIdTokenVerifier } from '../../functions/shared/auth/verifier';
import {
  LOCAL_CLIENT_ID,
  LOCAL_USER_POOL_ID,
  loadLocalAuth,
  localSub,
  signIdToken,
} from '../../tools/local-api/local-auth';

const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-auth-'));
const auth = loadLocalAuth(authDir);
afterAll(() => fs.rmSync(authDir, { recursive: true, force: true }));

/** Re-signs a token's claims under another key id, as a token of some other key would be. */
function withKeyId(token: string, kid: string, privateKey: KeyObject): string {
  const claims = token.split('.')[1] ?? '';
  const header = Buffer.from(JSON.stringify({ kid, alg: 'RS256' })).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), privateKey).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

describe('createIdTokenVerifier with a configured JWKS (USER_POOL_JWKS)', () => {
  const verifier = createIdTokenVerifier({
    userPoolId: LOCAL_USER_POOL_ID,
    clientId: LOCAL_CLIENT_ID,
    jwks: auth.jwks,
  });

  it("verifies an ID token signed with the JWKS's key", async () => {
    const claims = await verifier.verify(signIdToken(auth.privateKey, { username: 'alice', admin: true }));

    expect(claims).toMatchObject({
      sub: localSub('alice'),
      token_use: 'id',
      aud: LOCAL_CLIENT_ID,
      'cognito:groups': ['admins'],
      email: 'alice@example.com',
    });
  });

  it('refuses a token of a key that is not in the JWKS, without fetching anything', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const token = withKeyId(signIdToken(auth.privateKey, { username: 'alice' }), 'unknown-key', other);

    // Not a FetchError: the configured JWKS is the only source, so nothing went to Cognito.
    await expect(verifier.verify(token)).rejects.toThrow(KidNotFoundInJwksError);
  });

  it('throws at creation when the setting is not a JWKS', () => {
    expect(() =>
      createIdTokenVerifier({
        userPoolId: LOCAL_USER_POOL_ID,
        clientId: LOCAL_CLIENT_ID,
        jwks: '{"keys": 1}',
      })
    ).toThrow();
  });
});

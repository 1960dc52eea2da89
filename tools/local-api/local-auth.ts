import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  createPrivateKey,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCAL_REGION } from './local-table';

/**
 * A stand-in for the Cognito user pool: an RSA key pair generated once into .local/auth/ (never
 * committed: .local/ is git-ignored), ID tokens signed with it as Cognito signs them, and the JWKS
 * the real authorizer verifies them against (USER_POOL_JWKS, see functions/shared/auth/verifier.ts).
 */
export const LOCAL_USER_POOL_ID = `${LOCAL_REGION}_LocalDev`;
export const LOCAL_CLIENT_ID = 'local-dev-client';
export const LOCAL_ISSUER = `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${LOCAL_USER_POOL_ID}`;
const KEY_ID = 'local-dev-key-1';
const RSA_MODULUS_BITS = 2048;
/** As the stack's app client (idTokenValidity: 60 minutes). */
export const ID_TOKEN_VALIDITY_SECONDS = 60 * 60;
const API_KEY_BYTES = 24;
/** Usernames Cognito would accept and a shell needs no quoting for. */
const USERNAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const ADMINS_GROUP = 'admins';

const PRIVATE_KEY_FILE = 'private-key.pem';
const API_KEY_FILE = 'api-key';

export interface LocalAuth {
  readonly privateKey: KeyObject;
  /** The public key as a JWKS document (JSON), as Cognito publishes it. */
  readonly jwks: string;
  /** The x-api-key value the local API accepts. */
  readonly apiKey: string;
  /** Where the API key is kept, for scripts: `$(cat <file>)`. */
  readonly apiKeyFile: string;
}

/** Writes a file only if it does not exist yet, so two concurrent first starts agree on one value. */
function createOnce(file: string, contents: () => string): string {
  try {
    fs.writeFileSync(file, contents(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The local key pair and API key in `dir`, generated on first use. */
export function loadLocalAuth(dir: string): LocalAuth {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pem = createOnce(
    path.join(dir, PRIVATE_KEY_FILE),
    () =>
      generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string
  );
  const apiKeyFile = path.join(dir, API_KEY_FILE);
  const apiKey = createOnce(apiKeyFile, () => `${randomBytes(API_KEY_BYTES).toString('base64url')}\n`);
  const privateKey = createPrivateKey(pem);
  const publicJwk = { ...createPublicJwk(privateKey), kid: KEY_ID, alg: 'RS256', use: 'sig' };
  return { privateKey, jwks: JSON.stringify({ keys: [publicJwk] }), apiKey, apiKeyFile };
}

function createPublicJwk(privateKey: KeyObject): Record<string, unknown> {
  const { kty, n, e } = privateKey.export({ format: 'jwk' });
  return { kty, n, e };
}

/**
 * A stable `sub` per username (UUID-shaped, like Cognito's), so alice's tokens, profile and
 * orders stay hers across restarts and new tokens.
 */
export function localSub(username: string): string {
  const hex = createHash('sha256').update(`local-user:${username}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface IdTokenOptions {
  readonly username: string;
  /** Member of the admins group. @default false */
  readonly admin?: boolean;
  /** @default `<username>@example.com` */
  readonly email?: string;
  /** @default ID_TOKEN_VALIDITY_SECONDS */
  readonly validitySeconds?: number;
  /** Seconds since the epoch. @default now */
  readonly now?: number;
}

/** An RS256 ID token with the claims of a Cognito ID token of the local pool and client. */
export function signIdToken(privateKey: KeyObject, options: IdTokenOptions): string {
  const { username } = options;
  if (!USERNAME_PATTERN.test(username)) {
    throw new Error(`username must match ${USERNAME_PATTERN.source}, got ${JSON.stringify(username)}`);
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims = {
    sub: localSub(username),
    // Cognito leaves the claim out for users in no group.
    ...(options.admin ? { 'cognito:groups': [ADMINS_GROUP] } : {}),
    email_verified: true,
    iss: LOCAL_ISSUER,
    'cognito:username': username,
    origin_jti: randomUUID(),
    aud: LOCAL_CLIENT_ID,
    event_id: randomUUID(),
    token_use: 'id',
    auth_time: now,
    exp: now + (options.validitySeconds ?? ID_TOKEN_VALIDITY_SECONDS),
    iat: now,
    jti: randomUUID(),
    email: options.email ?? `${username}@example.com`,
  };
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ kid: KEY_ID, alg: 'RS256' })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

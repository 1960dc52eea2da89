/**
 * `npm run -s dev:token -- --user alice [--admin] [--email a@example.com]`: prints an ID token of
 * the local user pool (RS256, Cognito's claims) that `npm run dev` accepts, and nothing else, so
 * `TOKEN=$(npm run -s dev:token -- --user alice)` works.
 */
import { parseArgs } from 'node:util';
import { loadLocalAuth, signIdToken } from './local-auth';
import { LOCAL_AUTH_DIR } from './paths';

const USAGE = 'usage: npm run -s dev:token -- --user <name> [--admin] [--email <address>]';

function main(): void {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      admin: { type: 'boolean', default: false },
      email: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.user === undefined) throw new Error(`--user is required\n${USAGE}`);
  const { privateKey } = loadLocalAuth(LOCAL_AUTH_DIR);
  const token = signIdToken(privateKey, { username: values.user, admin: values.admin, email: values.email });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`npm run dev:token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

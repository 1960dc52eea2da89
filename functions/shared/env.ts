/**
 * Reads a required environment variable. Handlers call this once, at module scope, so a missing
 * setting fails the cold start loudly instead of surfacing later as a confusing runtime error.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} environment variable is not set`);
  }
  return value;
}

/** Reads a setting that may legitimately be absent (for example in local development). */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

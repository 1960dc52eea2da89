#!/usr/bin/env node
// @ts-check
/**
 * Post-deployment smoke test run by each pipeline stage: GET `${API_URL}health` until it answers
 * 200 with a JSON body whose `status` is "healthy", retrying a bounded number of times because a
 * fresh API Gateway deployment can take a few seconds to serve.
 *
 * Environment:
 *   API_URL                  required; the RestApi url, which ends with the stage: https://.../prod/
 *   HEALTH_CHECK_ATTEMPTS    default 10
 *   HEALTH_CHECK_DELAY_MS    pause between attempts, default 6000
 *   HEALTH_CHECK_TIMEOUT_MS  per-request timeout, default 5000
 *
 * Exit codes: 0 healthy, 1 not healthy after every attempt, 2 misconfigured (bad or missing variable).
 * Zero dependencies: it runs with the `node` of the CodeBuild image (Node.js 20 or newer; it uses nothing
 * newer than Node.js 18 has, should the image default still be 18).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** @typedef {{ healthy: boolean, detail: string }} AttemptOutcome */

class ConfigError extends Error {}

/**
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @returns {number}
 */
function intFromEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Resolves `health` against the API base URL. The trailing slash matters: without it
 * `new URL('health', '.../prod')` would drop the stage and hit `.../health`.
 *
 * @param {string | undefined} apiUrl
 * @returns {URL}
 */
function healthUrl(apiUrl) {
  if (!apiUrl || apiUrl.trim() === '') {
    throw new ConfigError('API_URL is not set: pass the API base URL (the stack output ApiUrl)');
  }
  const base = apiUrl.trim();
  let url;
  try {
    url = new URL('health', base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new ConfigError(`API_URL is not a URL: ${JSON.stringify(apiUrl)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }
  return url;
}

/**
 * @param {unknown} error
 * @param {number} timeoutMs
 * @returns {string}
 */
function describeError(error, timeoutMs) {
  // Only our timeout signal aborts; older Node.js 18 fetch reported that as AbortError.
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  // fetch wraps network failures in TypeError('fetch failed') with the socket error as `cause`.
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = /** @type {{ code?: unknown }} */ (cause).code;
    return `request failed: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return `request failed: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * @param {URL} url
 * @param {number} timeoutMs
 * @returns {Promise<AttemptOutcome>}
 */
async function checkOnce(url, timeoutMs) {
  try {
    // One signal for the headers and the body: a server that stalls mid-body also times out.
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const excerpt = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
    if (response.status !== 200) {
      return { healthy: false, detail: `HTTP ${response.status} (expected 200), body ${excerpt}` };
    }
    /** @type {unknown} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return { healthy: false, detail: `HTTP 200 but the body is not JSON: ${excerpt}` };
    }
    const status = typeof body === 'object' && body !== null && 'status' in body ? body.status : undefined;
    if (status !== 'healthy') {
      return {
        healthy: false,
        detail: `HTTP 200 but status is ${JSON.stringify(status)} (expected "healthy")`,
      };
    }
    return { healthy: true, detail: 'HTTP 200, status "healthy"' };
  } catch (error) {
    return { healthy: false, detail: describeError(error, timeoutMs) };
  }
}

/** @returns {Promise<number>} the exit code */
async function main() {
  let url, attempts, delayMs, timeoutMs;
  try {
    url = healthUrl(process.env.API_URL);
    attempts = intFromEnv('HEALTH_CHECK_ATTEMPTS', 10, 1);
    delayMs = intFromEnv('HEALTH_CHECK_DELAY_MS', 6_000, 0);
    timeoutMs = intFromEnv('HEALTH_CHECK_TIMEOUT_MS', 5_000, 1);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`health-check: ${error.message}`);
      return 2;
    }
    throw error;
  }

  console.log(
    `health-check: GET ${url.href} (${attempts} attempts, ${delayMs} ms apart, ${timeoutMs} ms timeout)`
  );
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await checkOnce(url, timeoutMs);
    console.log(
      `attempt ${attempt}/${attempts}: ${outcome.healthy ? 'healthy' : 'not healthy'}: ${outcome.detail}`
    );
    if (outcome.healthy) {
      return 0;
    }
    last = outcome.detail;
    if (attempt < attempts) {
      await sleep(delayMs);
    }
  }
  console.error(
    `health-check: FAILED: ${url.href} was not healthy after ${attempts} attempts; last: ${last}`
  );
  return 1;
}

// Exit explicitly: an abandoned keep-alive or timed-out socket must not hold the build step open.
process.exit(await main());

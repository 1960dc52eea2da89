import { Duration } from 'aws-cdk-lib';
import {
  API_FUNCTIONS,
  API_GATEWAY_INTEGRATION_TIMEOUT,
  type ApiFunctionsConfig,
  ENVIRONMENT_NAMES,
  IDENTITY,
  LAMBDA_UNRESERVED_MINIMUM,
  validateApiFunctions,
} from '../../lib/config';

const VALID: ApiFunctionsConfig = API_FUNCTIONS.prod;

describe('the API functions limits of every environment', () => {
  test.each(ENVIRONMENT_NAMES.map((n) => [n] as const))(
    '%s: every function times out within 10-25 s before API Gateway, the authorizer the shortest',
    (env) => {
      const { authorizer, ...handlers } = API_FUNCTIONS[env];
      for (const h of Object.values(handlers)) {
        expect(h.timeout.toSeconds()).toBeGreaterThanOrEqual(10);
        expect(h.timeout.toSeconds()).toBeLessThanOrEqual(25);
        expect(h.timeout.toSeconds()).toBeLessThan(API_GATEWAY_INTEGRATION_TIMEOUT.toSeconds());
        expect(authorizer.timeout.toSeconds()).toBeLessThan(h.timeout.toSeconds());
      }
      expect(() => validateApiFunctions(env, API_FUNCTIONS[env])).not.toThrow();
    }
  );

  test('dev reserves nothing; staging and prod reserve for orders and the authorizer only', () => {
    const reserved = (env: (typeof ENVIRONMENT_NAMES)[number]) =>
      Object.fromEntries(Object.entries(API_FUNCTIONS[env]).map(([n, l]) => [n, l.reservedConcurrency]));
    expect(reserved('dev')).toEqual({
      users: undefined,
      products: undefined,
      orders: undefined,
      authorizer: undefined,
    });
    expect(reserved('staging')).toEqual({
      users: undefined,
      products: undefined,
      orders: 50,
      authorizer: 50,
    });
    expect(reserved('prod')).toEqual({ users: undefined, products: undefined, orders: 200, authorizer: 200 });
  });

  test('prod drops ADMIN_USER_PASSWORD_AUTH and requires MFA of admins; dev keeps both off', () => {
    expect(IDENTITY.prod).toEqual({ adminUserPasswordAuth: false, adminsRequireMfa: true });
    expect(IDENTITY.dev.adminsRequireMfa).toBe(false);
  });
});

describe('validateApiFunctions', () => {
  test('throws when a handler would outlive API Gateway (29 s)', () => {
    expect(() =>
      validateApiFunctions('prod', { ...VALID, orders: { timeout: Duration.seconds(29) } })
    ).toThrow('prod.functions.orders.timeout must be 1 to 28 seconds (API Gateway gives up at 29), got 29');
  });

  test('throws when the authorizer is not shorter than every handler', () => {
    expect(() =>
      validateApiFunctions('dev', { ...VALID, authorizer: { timeout: Duration.seconds(10) } })
    ).toThrow("dev.functions.authorizer.timeout must be shorter than every handler's, got 10 seconds");
  });

  test.each([0, -1, 2.5])('throws when a reservation is %p', (n) => {
    expect(() =>
      validateApiFunctions('prod', {
        ...VALID,
        orders: { timeout: Duration.seconds(20), reservedConcurrency: n },
      })
    ).toThrow(`prod.functions.orders.reservedConcurrency must be a positive integer, got ${n}`);
  });

  test('throws when the reservations leave fewer than the unreserved minimum of the account', () => {
    expect(() => validateApiFunctions('prod', VALID, 400 + LAMBDA_UNRESERVED_MINIMUM - 1)).toThrow(
      'prod.functions reserve 400 executions, leaving fewer than 100 of 499 unreserved'
    );
    expect(() => validateApiFunctions('prod', VALID, 400 + LAMBDA_UNRESERVED_MINIMUM)).not.toThrow();
  });
});

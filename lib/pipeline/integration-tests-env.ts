/**
 * The environment variables of the integration suite (test/integration/), set by the pipeline's
 * integration-test step from the stage's outputs. Without API_URL the suite starts the local API
 * instead. A module of its own, without aws-cdk-lib, so the suite loads it cheaply.
 */
export const INTEGRATION_TESTS_ENV = {
  /** The API's base URL (the ApiUrl output, ending with `/<stage>/`). */
  apiUrl: 'API_URL',
  userPoolId: 'USER_POOL_ID',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  /** The id of the API key whose value the suite reads (GetApiKey, includeValue). */
  apiKeyId: 'API_KEY_ID',
  /** Assumed for the Cognito admin calls and GetApiKey. @default - the ambient credentials */
  roleArn: 'INTEGRATION_TEST_ROLE_ARN',
} as const;

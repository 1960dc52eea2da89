import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACES } from '../shared/contracts';
import { createDocumentClient } from '../shared/dynamodb';
import { requireEnv } from '../shared/env';
import { createApiHandler } from '../shared/http/api-handler';
import { json, noContent } from '../shared/http/response';
import { logger } from '../shared/logger';
import { parsePageRequest } from '../shared/pagination';
import { DynamoDbUserRepository } from '../shared/users/repository';
import { UserService } from '../shared/users/service';

// Module scope: read once and created once per container, reused by every invocation.
const tableName = requireEnv('TABLE_NAME');
const metrics = new Metrics({ namespace: METRIC_NAMESPACES.users });
const users = new UserService(new DynamoDbUserRepository(createDocumentClient(), tableName));

export const handler = createApiHandler({
  logger,
  metrics,
  routes: [
    {
      method: 'GET',
      path: '/v1/users',
      handler: async (request) =>
        json(
          200,
          await users.list(request.caller, parsePageRequest(request.query('limit'), request.query('cursor')))
        ),
    },
    {
      method: 'POST',
      path: '/v1/users',
      handler: async (request) => {
        const user = await users.register(request.caller, request.jsonBody());
        metrics.addMetric('NewRegistrations', MetricUnit.Count, 1);
        return json(201, user, { Location: `/v1/users/${user.userId}` });
      },
    },
    {
      method: 'GET',
      path: '/v1/users/{userId}',
      handler: async (request) => json(200, await users.get(request.caller, request.param('userId'))),
    },
    {
      method: 'PUT',
      path: '/v1/users/{userId}',
      handler: async (request) =>
        json(200, await users.update(request.caller, request.param('userId'), request.jsonBody())),
    },
    {
      method: 'DELETE',
      path: '/v1/users/{userId}',
      handler: async (request) => {
        await users.delete(request.caller, request.param('userId'));
        return noContent();
      },
    },
  ],
});

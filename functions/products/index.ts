import { createDocumentClient } from '../shared/dynamodb';
import { requireEnv } from '../shared/env';
import { createApiHandler } from '../shared/http/api-handler';
import { json, noContent } from '../shared/http/response';
import { logger } from '../shared/logger';
import { parsePageRequest } from '../shared/pagination';
import { DynamoDbProductRepository } from '../shared/products/repository';
import { ProductService } from '../shared/products/service';

// Module scope: read once and created once per container, reused by every invocation.
const tableName = requireEnv('TABLE_NAME');
const products = new ProductService(new DynamoDbProductRepository(createDocumentClient(), tableName));

/** Served through `/v1/products` and `/v1/products/{proxy+}` (ANY): the routes below do the rest. */
export const handler = createApiHandler({
  logger,
  routes: [
    {
      method: 'GET',
      path: '/v1/products',
      handler: async (request) =>
        json(200, await products.list(parsePageRequest(request.query('limit'), request.query('cursor')))),
    },
    {
      method: 'POST',
      path: '/v1/products',
      handler: async (request) => {
        const product = await products.create(request.caller, request.jsonBody());
        return json(201, product, { Location: `/v1/products/${product.productId}` });
      },
    },
    {
      method: 'GET',
      path: '/v1/products/{productId}',
      handler: async (request) => json(200, await products.get(request.param('productId'))),
    },
    {
      method: 'PUT',
      path: '/v1/products/{productId}',
      handler: async (request) =>
        json(200, await products.replace(request.caller, request.param('productId'), request.jsonBody())),
    },
    {
      method: 'DELETE',
      path: '/v1/products/{productId}',
      handler: async (request) => {
        await products.delete(request.caller, request.param('productId'));
        return noContent();
      },
    },
  ],
});

import { createDocumentClient } from '../shared/dynamodb';
import { requireEnv } from '../shared/env';
import { createApiHandler } from '../shared/http/api-handler';
import { etagOf, parseIfMatch } from '../shared/http/headers';
import { type ApiResponse, json, noContent } from '../shared/http/response';
import { logger } from '../shared/logger';
import { parsePageRequest } from '../shared/pagination';
import { DynamoDbProductRepository } from '../shared/products/repository';
import { type Product } from '../shared/products/model';
import { ProductService } from '../shared/products/service';

// Module scope: read once and created once per container, reused by every invocation.
const tableName = requireEnv('TABLE_NAME');
const products = new ProductService(new DynamoDbProductRepository(createDocumentClient(), tableName));

/** A product with its version as ETag, the tag a later PUT sends back in If-Match. */
function withEtag(statusCode: number, product: Product, headers: Record<string, string> = {}): ApiResponse {
  return json(statusCode, product, { ...headers, ETag: etagOf(product.version) });
}

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
        return withEtag(201, product, { Location: `/v1/products/${product.productId}` });
      },
    },
    {
      method: 'GET',
      path: '/v1/products/{productId}',
      handler: async (request) => withEtag(200, await products.get(request.param('productId'))),
    },
    {
      method: 'PUT',
      path: '/v1/products/{productId}',
      handler: async (request) => {
        const ifMatch = parseIfMatch(request.header('If-Match'));
        const product = await products.replace(
          request.caller,
          request.param('productId'),
          request.jsonBody(),
          ifMatch.kind === 'version' ? ifMatch.version : undefined
        );
        return withEtag(200, product);
      },
    },
    {
      // An action resource, like an order's cancel: a delta on stock, not a field edit.
      method: 'POST',
      path: '/v1/products/{productId}/restock',
      handler: async (request) =>
        withEtag(200, await products.restock(request.caller, request.param('productId'), request.jsonBody())),
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

// The launcher lives with the local tooling (`npm run dev` uses it too); tests import it from here.
export * from '../../tools/local-api/dynamodb-local';

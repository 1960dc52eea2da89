import { deployedTemplate, reviewDeployed, type GetTemplate } from '../../lib/pipeline/guard/review-deployed';
import { STATEFUL_RESOURCE_TYPES } from '../../lib/config';
import type { AssemblyStack } from '../../lib/pipeline/guard/assembly';

/** A table template whose key is `key`, as a stack template holds it. */
const tableTemplate = (key: string) => ({
  Resources: {
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      },
    },
  },
});
const stack = (stackName: string, key: string): AssemblyStack => ({
  stage: 'prod',
  stack: stackName.replace('Prod-', ''),
  stackName,
  displayName: `PipelineStack/Prod/${stackName.replace('Prod-', '')}`,
  template: tableTemplate(key),
});

/** CloudFormation's documented answers: GetTemplate's TemplateBody, or a ValidationError. */
const notFound = (name: string) =>
  Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
const getTemplate =
  (deployed: Record<string, string>): GetTemplate =>
  (name) => {
    const body = deployed[name];
    return body === undefined
      ? Promise.reject(notFound(name))
      : Promise.resolve({ TemplateBody: body, StagesAvailable: ['Original', 'Processed'] });
  };
const options = {
  statefulTypes: STATEFUL_RESOURCE_TYPES,
  allowList: [],
  stage: 'prod',
  details: ['commit: abc123'],
};

describe('the change review against the deployed templates (GetTemplate)', () => {
  test('a stack that does not exist is a first deployment, not an error', async () => {
    const review = await reviewDeployed({
      ...options,
      stacks: [stack('Prod-Data', 'pk')],
      getTemplate: getTemplate({}),
    });
    expect(review.blocked).toBe(false);
    expect(review.report).toContain('first deployment: the stack does not exist yet; 1 resources to create');
    expect(review.report).toContain('- commit: abc123');
  });

  test('a deployed JSON template whose table key changes blocks, naming the table', async () => {
    const review = await reviewDeployed({
      ...options,
      stacks: [stack('Prod-Data', 'id')],
      getTemplate: getTemplate({ 'Prod-Data': JSON.stringify(tableTemplate('pk')) }),
    });
    expect(review.blocked).toBe(true);
    expect(review.report).toContain(
      '- Prod-Data/Table (AWS::DynamoDB::Table): replaced, because KeySchema changed'
    );
  });

  test('a YAML TemplateBody is read too; an unchanged stack passes', async () => {
    const yaml =
      'Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema:\n' +
      '        - AttributeName: pk\n          KeyType: HASH\n      AttributeDefinitions:\n' +
      '        - AttributeName: pk\n          AttributeType: S\n';
    expect(await deployedTemplate(getTemplate({ 'Prod-Data': yaml }), 'Prod-Data')).toEqual(
      tableTemplate('pk')
    );
    const review = await reviewDeployed({
      ...options,
      stacks: [stack('Prod-Data', 'pk')],
      getTemplate: getTemplate({ 'Prod-Data': yaml }),
    });
    expect(review.blocked).toBe(false);
    expect(review.report).toContain('no changes');
  });

  test('other errors (access denied) fail the review instead of passing it', async () => {
    const denied = Object.assign(new Error('not authorized to perform: cloudformation:GetTemplate'), {
      name: 'AccessDenied',
    });
    await expect(deployedTemplate(() => Promise.reject(denied), 'Prod-Data')).rejects.toThrow(
      'not authorized'
    );
  });

  test('an assembly without a stack of the stage fails instead of reviewing nothing', async () => {
    await expect(
      reviewDeployed({
        ...options,
        stage: 'staging',
        stacks: [stack('Prod-Data', 'pk')],
        getTemplate: getTemplate({}),
      })
    ).rejects.toThrow('no stack of the stage "staging"');
  });
});

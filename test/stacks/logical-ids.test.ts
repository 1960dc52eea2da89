import baseline from './stateful-logical-ids.json';
import { statefulLogicalIds } from '../../tools/stateful-ids';
import { testAssemblyDir } from '../support/test-assembly';

/*
 * A changed logical id makes CloudFormation replace the resource: a new, empty database, table or
 * user pool for everyone who deployed the previous version. stateful-logical-ids.json was generated
 * from main before the stacks were split into constructs (tools/stateful-ids.ts); regenerate it only
 * for a replacement that was reviewed and meant.
 */
describe('stateful logical ids', () => {
  const current = statefulLogicalIds(testAssemblyDir('pipeline'));

  test('every stack of the baseline still exists', () => {
    expect(Object.keys(current)).toEqual(expect.arrayContaining(Object.keys(baseline)));
  });

  test.each(Object.entries(baseline))(
    '%s keeps the logical id of every stateful resource',
    (stack, byType) => {
      expect(current[stack]).toEqual(byType);
    }
  );

  test('a moved resource would be caught: the baseline is not empty and names the data stores', () => {
    const all = Object.values(baseline).flatMap((byType) => Object.keys(byType));
    expect(all).toEqual(
      expect.arrayContaining([
        'AWS::RDS::DBInstance',
        'AWS::DynamoDB::Table',
        'AWS::Cognito::UserPool',
        'AWS::EC2::Subnet',
      ])
    );
  });
});

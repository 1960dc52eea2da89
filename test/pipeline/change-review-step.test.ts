import { Match } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../lib/config';
import { CHANGE_GUARD } from '../../lib/config/change-guard';
import {
  CHANGE_REVIEW_ASSEMBLY_DIR,
  CHANGE_REVIEW_REPORT_DIR,
  CHANGE_REVIEW_SCRIPT,
  CHANGE_REVIEW_URL_VARIABLE,
  PROD_APPROVAL_ID,
} from '../../lib/pipeline/change-review-step';
import { stageId } from '../../lib/pipeline/pipeline-stack';
import { testApp } from '../support/app';
import { pipelineTemplate, type TemplateValue } from '../support/templates';

/**
 * The change review and destructive-change guard in the PipelineStack bin/app.ts builds, read from
 * the assembly the jest global setup synthesized: where it runs, what it assumes, what the prod
 * approval shows.
 */
const environments = loadEnvironments(testApp().node);
const template = pipelineTemplate();

function actionsOf(stageName: string): TemplateValue[] {
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
  const stage = (pipeline?.Properties.Stages as TemplateValue[]).find((s) => s.Name === stageName);
  return stage?.Actions as TemplateValue[];
}
const action = (stageName: string, name: string): TemplateValue =>
  actionsOf(stageName).find((a) => a.Name === name);
/** The run orders of the actions that change the stage's stacks (change sets: create and execute). */
const deployRunOrders = (stageName: string): number[] =>
  actionsOf(stageName)
    .filter((a) => a.ActionTypeId.Category === 'Deploy')
    .map((a) => a.RunOrder as number);

/** The CodeBuild project a pipeline action runs. */
function projectOfAction(stageName: string, name: string): TemplateValue {
  const projectRef = action(stageName, name).Configuration.ProjectName.Ref as string;
  return template.findResources('AWS::CodeBuild::Project')[projectRef];
}
/** Every statement of every policy attached to the role. */
function statementsOfRole(roleLogicalId: string): TemplateValue[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } })
  ).flatMap((p): TemplateValue[] => p.Properties.PolicyDocument.Statement);
}
const lookupRole = (env: 'staging' | 'prod') => {
  const { account, region } = environments[env];
  return `arn:aws:iam::${account}:role/cdk-hnb659fds-lookup-role-${account}-${region}`;
};

describe('the change review and destructive-change guard', () => {
  test('staging and prod have the guard, dev not (typed config)', () => {
    expect(ENVIRONMENT_NAMES.filter((env) => CHANGE_GUARD[env].guard)).toEqual(['staging', 'prod']);
    expect(action('Dev', 'ChangeReview')).toBeUndefined();
  });

  test('in Prod the review runs first, then the approval, then every change to a prod stack', () => {
    const review = action('Prod', 'ChangeReview').RunOrder as number;
    const approval = action('Prod', PROD_APPROVAL_ID).RunOrder as number;
    expect(review).toBeLessThan(approval);
    expect(approval).toBeLessThan(Math.min(...deployRunOrders('Prod')));
  });

  test('in Staging the guard runs before any stack changes, and nobody is asked to approve', () => {
    expect(action('Staging', 'ChangeReview').RunOrder as number).toBeLessThan(
      Math.min(...deployRunOrders('Staging'))
    );
    expect(actionsOf('Staging').filter((a) => a.ActionTypeId.Category === 'Approval')).toEqual([]);
  });

  test("the approval links the review's build (its report) and names the commit reviewed", () => {
    const reviewNamespace = action('Prod', 'ChangeReview').Namespace as string;
    const sourceNamespace = actionsOf('Source')[0]?.Namespace as string;
    expect(reviewNamespace).toBeDefined();
    expect(sourceNamespace).toBeDefined();
    expect(action('Prod', PROD_APPROVAL_ID).Configuration).toEqual({
      ExternalEntityLink: `#{${reviewNamespace}.${CHANGE_REVIEW_URL_VARIABLE}}`,
      CustomData: expect.stringContaining(`Approve commit #{${sourceNamespace}.CommitId} for prod`),
    });
  });

  test.each(['staging', 'prod'] as const)(
    '%s: the step reads the synth assembly, reviews its own stage and publishes the report as an artifact',
    (env) => {
      const review = action(stageId(env), 'ChangeReview');
      expect(review.InputArtifacts).toHaveLength(2);
      expect(review.OutputArtifacts).toHaveLength(1);
      // The commit is an execution variable (the action's); the rest is fixed in the project.
      expect(JSON.parse(review.Configuration.EnvironmentVariables as string)).toEqual([
        {
          name: 'REVIEW_COMMIT',
          type: 'PLAINTEXT',
          value: expect.stringMatching(/^#\{Source.*\.CommitId\}$/),
        },
      ]);
      expect(
        projectOfAction(stageId(env), 'ChangeReview').Properties.Environment.EnvironmentVariables
      ).toEqual(
        expect.arrayContaining([
          { Name: 'REVIEW_STAGE', Type: 'PLAINTEXT', Value: env },
          { Name: 'REVIEW_ROLE_ARN', Type: 'PLAINTEXT', Value: lookupRole(env) },
          { Name: 'REVIEW_REGION', Type: 'PLAINTEXT', Value: environments[env].region },
          { Name: 'REVIEW_ASSEMBLY_DIR', Type: 'PLAINTEXT', Value: CHANGE_REVIEW_ASSEMBLY_DIR },
        ])
      );
      const buildSpec = JSON.parse(
        projectOfAction(stageId(env), 'ChangeReview').Properties.Source.BuildSpec as string
      );
      expect(buildSpec).toMatchObject({
        phases: {
          build: { commands: expect.arrayContaining([`npx tsx ${CHANGE_REVIEW_SCRIPT}`]) },
        },
        artifacts: { 'base-directory': CHANGE_REVIEW_REPORT_DIR },
      });
      // Only prod's approval links the build: only there is the URL exported.
      expect(buildSpec.env?.['exported-variables']).toEqual(
        env === 'prod' ? [CHANGE_REVIEW_URL_VARIABLE] : undefined
      );
    }
  );

  test.each(['staging', 'prod'] as const)(
    "%s: the step's role may assume that account's lookup role and no other role",
    (env) => {
      const [roleId] = projectOfAction(stageId(env), 'ChangeReview').Properties.ServiceRole['Fn::GetAtt'];
      expect(statementsOfRole(roleId as string).filter((s) => JSON.stringify(s).includes('sts:'))).toEqual([
        expect.objectContaining({ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: lookupRole(env) }),
      ]);
    }
  );

  test('no other role of the pipeline names a lookup role', () => {
    const reviewRoles = ['Staging', 'Prod'].map(
      (stage) => projectOfAction(stage, 'ChangeReview').Properties.ServiceRole['Fn::GetAtt'][0] as string
    );
    const others = Object.entries(template.findResources('AWS::IAM::Policy')).filter(
      ([, policy]) =>
        !(policy.Properties.Roles as TemplateValue[]).some((r) => reviewRoles.includes(r.Ref as string))
    );
    expect(others.length).toBeGreaterThan(0);
    for (const [id, policy] of others) {
      expect([id, JSON.stringify(policy)]).not.toEqual([id, expect.stringContaining('lookup-role')]);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Resource: lookupRole('prod') })]) },
    });
  });
});

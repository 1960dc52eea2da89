import { Match } from 'aws-cdk-lib/assertions';
import { PIPELINE_ARTIFACT_RETENTION } from '../../lib/pipeline/pipeline-nag';
import { pipelineTemplate } from '../support/templates';

/**
 * The AWS Control Tower controls the pipeline's own resources meet (lib/pipeline/pipeline-nag.ts
 * hardenArtifactStore, PipelineNotifications), on the PipelineStack of the run's assembly.
 */
const template = pipelineTemplate();

const DENY_GRANTS_EXCEPT_FOR_AWS_RESOURCES = {
  Sid: 'DenyGrantsExceptForAwsResources',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: {
    BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
  },
};

test('the artifact bucket expires artifacts and incomplete uploads (CT.S3.PR.6)', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: {
      Rules: [
        {
          Id: 'ExpirePipelineArtifacts',
          Status: 'Enabled',
          ExpirationInDays: PIPELINE_ARTIFACT_RETENTION.toDays(),
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    },
  });
});

test('the artifact bucket keeps its logical id and its KMS encryption', () => {
  const buckets = template.findResources('AWS::S3::Bucket');
  expect(Object.keys(buckets)).toEqual(['PipelineArtifactsBucketAEA9A052']);
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': ['PipelineArtifactsBucketEncryptionKeyF5BF0670', 'Arn'] },
          },
        },
      ],
    },
  });
});

test('every KMS key of the pipeline stack allows grants only for AWS resources (CT.KMS.PR.3)', () => {
  const keys = template.findResources('AWS::KMS::Key');
  expect(Object.keys(keys).sort()).toEqual([
    'PipelineArtifactsBucketEncryptionKeyF5BF0670',
    'PipelineNotificationsTopicKeyF58F329A',
  ]);
  template.allResourcesProperties('AWS::KMS::Key', {
    KeyPolicy: { Statement: Match.arrayWith([DENY_GRANTS_EXCEPT_FOR_AWS_RESOURCES]) },
  });
});

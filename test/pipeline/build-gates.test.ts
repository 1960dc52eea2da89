import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { AUDIT_REPORT_FILE, BUILD_REPORTS_DIR, SBOM_FILE } from '../../lib/pipeline/build-reports';
import {
  CLOUD_ASSEMBLY_DIR,
  NAG_REPORTS_DIR,
  parseBuildSpec,
  synthStep,
} from '../../lib/pipeline/synth-step';
import { AUDIT_OUTPUT_FILE } from '../../scripts/audit-gate';
import { SBOM_OUTPUT_FILE } from '../../scripts/sbom';
import { testApp } from '../support/app';
import { type TemplateValue } from '../support/templates';

/**
 * The build's quality gates (issue 9, "Build"): buildspec.yml runs `npm run verify` (secrets scan,
 * ESLint with security rules + Prettier, npm audit gate, SBOM) before the tests and the synth, the
 * same script a developer runs, and the synth step publishes build-reports/ as an artifact.
 */
const ROOT = path.join(__dirname, '..', '..');
const scripts = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
const VERIFY_STEPS = ['secrets-scan', 'lint', 'audit-gate', 'sbom'];

// A pipeline with the real synth step only: the Build action and its CodeBuild project. In a test
// App: a bare one would start CloudFormation validation's engine in Template.fromStack (1.5 s).
const stack = new Stack(testApp(), 'SynthOnly', { env: { account: '444444444444', region: 'us-east-1' } });
const source = pipelines.CodePipelineSource.connection('my-org/repo', 'main', {
  connectionArn:
    'arn:aws:codeconnections:us-east-1:444444444444:connection/00000000-0000-0000-0000-000000000000',
});
new pipelines.CodePipeline(stack, 'Pipeline', { synth: synthStep({ input: source }) }).buildPipeline();
const template = Template.fromStack(stack);
const [project] = Object.values(template.findResources('AWS::CodeBuild::Project')).filter((p) =>
  JSON.stringify(p.Properties.Source).includes('cdk synth')
);
const buildSpec: TemplateValue = JSON.parse(project!.Properties.Source.BuildSpec as string);

describe('npm run verify: one script, locally and in the build', () => {
  test('runs the secrets scan, lint, the audit gate and the SBOM, stopping at the first failure', () => {
    expect(scripts.verify).toBe(VERIFY_STEPS.map((s) => `npm run ${s}`).join(' && '));
  });

  test.each([
    ['secrets-scan', /^secretlint --secretlintignore \.gitignore "\*\*\/\*"$/],
    ['lint', /^eslint \. && prettier --check \.$/],
    ['audit-gate', /^tsx scripts\/audit-gate\.ts$/],
    ['sbom', /^tsx scripts\/sbom\.ts$/],
  ])('%s is what it says', (name, command) => {
    expect(scripts[name]).toMatch(command);
  });

  test('the synth step runs it before the tests and the synth, as buildspec.yml says', () => {
    const commands = buildSpec.phases.build.commands as string[];
    expect(commands).toEqual(parseBuildSpec().commands);
    const verify = commands.findIndex((c) => c.startsWith('npm run verify'));
    expect(verify).toBeGreaterThanOrEqual(0);
    expect(verify).toBeLessThan(commands.indexOf('npm test'));
    expect(verify).toBeLessThan(commands.findIndex((c) => c.includes('cdk synth')));
  });

  test('the install runs with CI=true, so the git-hook prepare step does nothing there', () => {
    expect(buildSpec.phases.install.commands).toContain('npm ci --no-audit --no-fund');
    expect(project!.Properties.Environment.EnvironmentVariables).toEqual(
      expect.arrayContaining([expect.objectContaining({ Name: 'CI', Value: 'true' })])
    );
  });
});

/** The output artifacts of the pipeline's Build action (the synth step), in order. */
function buildActionOutputs(): string[] {
  const outputs = new Capture();
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
    Stages: Match.arrayWith([{ Name: 'Build', Actions: [Match.objectLike({ OutputArtifacts: outputs })] }]),
  });
  return outputs.asArray().map((artifact) => artifact.Name as string);
}

describe('build-reports/: the SBOM and the audit decision as a build artifact', () => {
  test('the scripts write into it', () => {
    expect(SBOM_OUTPUT_FILE).toBe(path.join(ROOT, BUILD_REPORTS_DIR, SBOM_FILE));
    expect(AUDIT_OUTPUT_FILE).toBe(path.join(ROOT, BUILD_REPORTS_DIR, AUDIT_REPORT_FILE));
  });

  test('is the third output artifact of the Build action, every file in it', () => {
    const outputs = buildActionOutputs();
    const secondary = buildSpec.artifacts['secondary-artifacts'];
    expect(outputs.map((name): TemplateValue => secondary[name]?.['base-directory'])).toEqual([
      CLOUD_ASSEMBLY_DIR,
      NAG_REPORTS_DIR,
      BUILD_REPORTS_DIR,
    ]);
    expect(secondary[outputs[2]!]!.files).toEqual(['**/*']);
  });

  test("post_build (which runs after a failed build too) makes sure it exists, so the upload can't fail", () => {
    expect(buildSpec.phases.post_build.commands).toContainEqual(
      expect.stringMatching(new RegExp(`^mkdir -p ${BUILD_REPORTS_DIR}\\b`))
    );
  });

  test('is not committed', () => {
    expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(
      `${BUILD_REPORTS_DIR}/`
    );
  });
});

// The gate itself and the reports it writes: test/nag/gate.test.ts.
describe('nag-reports/: the cdk-nag reports as a build artifact', () => {
  test('publishes the nag reports as a second output artifact of the Build action, beside cdk.out', () => {
    const outputs = buildActionOutputs();
    // cdk.out, nag-reports/, build-reports/ (above).
    expect(outputs).toHaveLength(3);

    expect(buildSpec.artifacts['secondary-artifacts']).toMatchObject({
      [outputs[0]!]: { 'base-directory': CLOUD_ASSEMBLY_DIR },
      [outputs[1]!]: { 'base-directory': NAG_REPORTS_DIR, files: ['**/*'] },
    });
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Stage } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { STATEFUL_RESOURCE_TYPES } from '../../lib/config';
import { runGuard } from '../../lib/pipeline/guard/compare-assemblies';
import type { DestructiveChangeAllowance } from '../../lib/config/change-guard';
import { NO_STACK_TRACES } from '../support/app';

/** What each synthesized App holds: the stateful resources and a function, each switchable. */
interface Shape {
  readonly tableKey?: string;
  readonly tableId?: string;
  readonly database?: boolean;
  readonly memorySize?: number;
  /** The stage's stacks; `Data` always, `Extra` when asked. */
  readonly extraStack?: boolean;
}

const outdirs: string[] = [];

/** Synthesizes an App with a `Prod` stage holding the `Data` stack, as the pipeline's stages do. */
function assembly(shape: Shape): string {
  const outdir = mkdtempSync(join(tmpdir(), 'guard-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...NO_STACK_TRACES } });
  const stage = new Stage(app, 'Prod', { env: { account: '111111111111', region: 'eu-west-1' } });
  const stack = new Stack(stage, 'Data');
  new dynamodb.Table(stack, shape.tableId ?? 'Table', {
    partitionKey: { name: shape.tableKey ?? 'pk', type: dynamodb.AttributeType.STRING },
  });
  if (shape.database ?? true) {
    new rds.CfnDBInstance(stack, 'Database', {
      engine: 'postgres',
      dbInstanceClass: 'db.t3.micro',
      allocatedStorage: '20',
    });
  }
  new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    memorySize: shape.memorySize ?? 128,
  });
  if (shape.extraStack) new Stack(stage, 'Extra').templateOptions.description = 'extra';
  app.synth();
  return outdir;
}

/** The table's logical id in the `Data` stack, as CloudFormation sees it. */
function tableLogicalId(id = 'Table'): string {
  const stack = new Stack(new Stage(new App(), 'Prod'), 'Data');
  const table = new dynamodb.Table(stack, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  return stack.getLogicalId(table.node.defaultChild as CfnElement);
}

const guard = (baseline: string, candidate: string, allowList: readonly DestructiveChangeAllowance[] = []) =>
  runGuard(['--baseline', baseline, '--candidate', candidate], {
    statefulTypes: STATEFUL_RESOURCE_TYPES,
    allowList,
  });

let base: string;
beforeAll(() => {
  base = assembly({});
});
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('npm run guard on two synthesized assemblies (a Prod stage with a Data stack)', () => {
  test('a table whose key schema changed is named as replaced, because KeySchema changed: exit 1', () => {
    const run = guard(base, assembly({ tableKey: 'id' }));
    const table = tableLogicalId();
    expect(run.exitCode).toBe(1);
    expect(run.errors).toContain(`Prod-Data/${table} (AWS::DynamoDB::Table): replaced, because `);
    expect(run.errors).toMatch(/because .*KeySchema changed/);
    expect(run.report).toContain('**BLOCKED**');
    expect(run.report).toMatch(/\[~\] AWS::DynamoDB::Table .* replace/);
  });

  test('a removed database is named as removed: exit 1', () => {
    const run = guard(base, assembly({ database: false }));
    expect(run.exitCode).toBe(1);
    expect(run.errors).toBe(
      'Prod-Data/Database (AWS::RDS::DBInstance): removed, because Database is no longer in the template\n'
    );
  });

  test('a Lambda memory change is reported as a modification, not a finding: exit 0', () => {
    const run = guard(base, assembly({ memorySize: 256 }));
    expect(run.exitCode).toBe(0);
    expect(run.errors).toBe('');
    expect(run.report).toContain('**No destructive change**');
    expect(run.report).toContain('0 added, 1 modified (0 replaced), 0 removed');
    expect(run.report).toMatch(/MemorySize[\s\S]*128[\s\S]*256/);
  });

  test('an allow-listed replacement passes (exit 0) and is reported as allowed, with its reason', () => {
    const table = tableLogicalId();
    const run = guard(base, assembly({ tableKey: 'id' }), [
      {
        stage: 'prod',
        stack: 'Data',
        logicalId: table,
        reason: 're-keyed before launch; the table is empty',
      },
    ]);
    expect(run.errors).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.report).toContain(
      `- allowed: Prod-Data/${table} (AWS::DynamoDB::Table): replaced, because KeySchema changed`
    );
    expect(run.report).toContain('(reason: re-keyed before launch; the table is empty)');
  });

  test('an allowance for another stage does not let the replacement through', () => {
    const run = guard(base, assembly({ tableKey: 'id' }), [
      { stage: 'staging', stack: 'Data', logicalId: tableLogicalId(), reason: 'staging only' },
    ]);
    expect(run.exitCode).toBe(1);
  });

  test('a moved construct id is a removal whose reason names the new logical id', () => {
    const run = guard(base, assembly({ tableId: 'Orders' }));
    expect(run.exitCode).toBe(1);
    expect(run.errors).toContain(
      `Prod-Data/${tableLogicalId()} (AWS::DynamoDB::Table): removed, because ${tableLogicalId()} is no ` +
        `longer in the template (a AWS::DynamoDB::Table was added as ${tableLogicalId('Orders')}`
    );
  });

  test('a new stack is reported as a first deployment; a dropped stack removes its resources', () => {
    const withExtra = assembly({ extraStack: true });
    expect(guard(base, withExtra).report).toContain('first deployment: the stack does not exist yet');
    const dropped = guard(base, emptyStage());
    expect(dropped.exitCode).toBe(1);
    expect(dropped.errors).toContain('removed, because the stack Prod-Data is no longer in the assembly');
  });

  test('identical assemblies: no changes, exit 0', () => {
    const run = guard(base, base);
    expect(run.exitCode).toBe(0);
    expect(run.report).toContain('no changes');
  });

  test('without both assemblies it prints the usage and exits 2', () => {
    expect(runGuard(['--baseline', base])).toMatchObject({
      exitCode: 2,
      errors: expect.stringContaining('usage'),
    });
    expect(runGuard(['--nope'])).toMatchObject({ exitCode: 2 });
  });

  test('the npm script exits 1 and prints the finding on stderr (tsx, as the pipeline runs it)', () => {
    const result = spawnSync(
      'npm',
      ['run', '-s', 'guard', '--', '--baseline', base, '--candidate', assembly({ tableKey: 'id' })],
      {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
      }
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('(AWS::DynamoDB::Table): replaced, because KeySchema changed');
    expect(result.stdout).toContain('# Change review:');
  });
});

/** An assembly whose Prod stage has no Data stack. */
function emptyStage(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'guard-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...NO_STACK_TRACES } });
  new Stack(new Stage(app, 'Prod', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Other');
  app.synth();
  return outdir;
}

/**
 * `npm run bench [-- --reps=N] [--quick] [--skip-jest] [--skip-latency]`: issue 14's performance
 * figures, no AWS account. Writes tools/bench/results.md and prints it; logs and cloud assemblies
 * go to cdk.out.bench/ (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { findBundles, moduleLoad } from './bundles';
import { benchBundling } from './bundling';
import { benchJest } from './jest';
import { benchLatency } from './latency';
import { kib, mib, ms, s, table, x } from './stats';
import { benchSynth, pipelineShape, SYNTH_VARIANTS } from './synth';

const ROOT = path.join(__dirname, '..', '..');
const WORK = path.join(ROOT, 'cdk.out.bench');
const RESULTS = path.join(__dirname, 'results.md');

const args = process.argv.slice(2);
const unknown = args.filter((arg) => !/^--(reps=\d+|quick|skip-jest|skip-latency)$/.test(arg));
if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(' ')}: see tools/bench/README.md`);
const quick = args.includes('--quick');
const reps = quick
  ? 1
  : Number(/^--reps=(\d+)$/.exec(args.find((a) => a.startsWith('--reps=')) ?? '')?.[1] ?? 3);
const loadRuns = quick ? 3 : 10;
const latency = { requests: quick ? 200 : 1000, concurrency: 50, warmup: quick ? 20 : 100 };

const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8' }).trim();
const loadAverage = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(1))
    .join(' / ');

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const targets: string[][] = [];
  const sections: string[] = [];

  const synth = benchSynth(WORK, reps, log);
  const overFloor = synth.wallS.full / synth.wallS.floor;
  targets.push([
    'full `npx cdk synth` within 2x of its floor',
    `${x(overFloor)} (${s(synth.wallS.full)} / ${s(synth.wallS.floor)})`,
    overFloor <= 2 ? 'PASS' : 'FAIL',
  ]);
  sections.push(
    `## 1. \`npx cdk synth\`: median of ${reps}, round robin\n\n` +
      'Wall time and peak RSS (GNU time: the largest single process, the app) of `npx cdk synth -q`. ' +
      'The floor and each step run tools/bench/synth-app.ts (the PipelineStack app of bin/app.ts; validation ' +
      "= aws-cdk-lib's `builtinCloudFormationValidation`, bundling = esbuild's API through CDK's local bundling, nag = " +
      "`addNagGate`); full runs cdk.json's app, bin/app.ts, with all three.\n\n" +
      table(
        ['variant', 'wall median', 'minus the floor', 'peak RSS'],
        SYNTH_VARIANTS.map(({ id, label }) => [
          label,
          s(synth.wallS[id]),
          id === 'floor' ? '' : `+${s(synth.wallS[id] - synth.wallS.floor)}`,
          mib(synth.maxRssKb[id]),
        ])
      ) +
      (synth.failures.length > 0 ? `\n\n**Failed runs:** ${synth.failures.join('; ')}` : '')
  );
  const bundling = benchBundling(WORK, reps);
  log(`bundling: API ${bundling.apiMs.toFixed(0)} ms, CLI ${bundling.cliMs.toFixed(0)} ms`);
  sections.push(
    `Bundling alone, all ${bundling.functions} functions, median of ${reps}: esbuild's API in one fresh Node ` +
      `process (the app's way, lib/constructs/function-code.ts) ${ms(bundling.apiMs)}; one ` +
      `\`bash -c "npx --no-install esbuild ..."\` per function (NodejsFunction's local bundling) ${ms(bundling.cliMs)}.`
  );

  if (!args.includes('--skip-jest')) {
    const [tsc, swc, tsJest] = benchJest(WORK, log);
    const npmTest = tsc!.wallS + swc!.wallS;
    targets.push([
      '`npm test` (type-check + jest with swc) at least 2x faster than ts-jest type-checking',
      `${x(tsJest!.wallS / npmTest)} (${s(tsJest!.wallS)} / ${s(npmTest)}); jest alone ${x(tsJest!.wallS / swc!.wallS)}`,
      tsJest!.wallS / npmTest >= 2 && [tsc, swc, tsJest].every((run) => run!.status === 0) ? 'PASS' : 'FAIL',
    ]);
    sections.push(
      '## 2. `npm test` against ts-jest type-checking: 1 run each, empty jest cache\n\n' +
        table(
          ['command', 'wall', 'peak RSS', 'exit', 'suites', 'tests'],
          [tsc!, swc!, tsJest!].map((run) => [
            `\`${run.command}\``,
            s(run.wallS),
            mib(run.maxRssKb),
            String(run.status),
            run.suites ?? '',
            run.tests ?? '',
          ])
        )
    );
  }

  const bundles = findBundles(synth.fullAssembly);
  sections.push(
    `## 3. Lambda bundles: size, and \`require()\` in a fresh Node process (median of ${loadRuns})\n\n` +
      `From the full synth's assembly (asset.* folders). Node ${process.version} (Lambda: Node 24), ` +
      '`--enable-source-maps`, the AWS SDK from NODE_PATH. CPU time is less sensitive to a busy machine than wall time.\n\n' +
      table(
        ['function', 'index.js', 'index.js.map', 'load CPU', 'load wall'],
        bundles.map((bundle) => {
          const load = moduleLoad(bundle, loadRuns);
          log(`load ${bundle.name}: ${load.cpuMs.toFixed(0)} ms CPU`);
          return [bundle.name, kib(bundle.codeBytes), kib(bundle.mapBytes), ms(load.cpuMs), ms(load.wallMs)];
        })
      )
  );

  if (!args.includes('--skip-latency')) {
    log('latency (DynamoDB Local)');
    const result = await benchLatency(bundles, latency);
    sections.push(
      '## 4. Handler latency against DynamoDB Local\n\n' +
        'The products and orders bundles called in-process with API Gateway proxy events, alternating request by ' +
        'request with the same DynamoDB calls made with the bare SDK. ' +
        `${latency.requests} requests one after the other, and ${latency.requests} with ${latency.concurrency} ` +
        `in flight (one Node process), after ${latency.warmup} warm-up requests. Overhead = handler - bare SDK ` +
        '(noisy at p99).\n\n' +
        table(
          [
            'route, mode',
            'handler p50',
            'handler p99',
            'bare SDK p50',
            'bare SDK p99',
            'overhead p50',
            'overhead p99',
          ],
          result.rows.map(({ scenario, handler, bare }) => [
            scenario,
            ...[handler.p50, handler.p99, bare.p50, bare.p99].map((v) => ms(v, 2)),
            ms(handler.p50 - bare.p50, 2),
            ms(handler.p99 - bare.p99, 2),
          ])
        ) +
        (result.failures.length > 0 ? `\n\n**Unexpected responses:** ${result.failures.join('; ')}` : '')
    );
  }

  const shape = pipelineShape(synth.fullAssembly);
  sections.push(
    '## 5. Pipeline shape (PipelineStack.template.json)\n\n' +
      table(
        ['stages', 'actions', 'CodeBuild projects', 'actions per stage'],
        [
          [
            String(shape.stages.length),
            String(shape.actions),
            String(shape.codeBuildProjects),
            shape.stages.join(', '),
          ],
        ]
      )
  );

  const cpus = os.cpus();
  const dirty = git('status', '--porcelain') ? ' (with uncommitted changes)' : '';
  const report = [
    '# Benchmark (`npm run bench`)',
    `Commit ${git('rev-parse', '--short', 'HEAD')}${dirty}, ${new Date(started).toISOString()}; ` +
      `${cpus.length} × ${cpus[0]?.model.trim() ?? '?'} (nproc ${os.availableParallelism()}), Node ${process.version}; ` +
      `load average ${loadAtStart} at the start, ${loadAverage()} at the end; ${((Date.now() - started) / 1000).toFixed(0)} s. ` +
      'Wall times: on a machine shared with other work they are noisy, so compare figures of one run.',
    '## Targets (issue 14)',
    table(['target', 'measured', 'result'], targets),
    ...sections,
  ].join('\n\n');
  const config = (await prettier.resolveConfig(RESULTS)) ?? {};
  const text = await prettier.format(report, { ...config, filepath: RESULTS });
  fs.writeFileSync(RESULTS, text);
  process.stdout.write(text);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

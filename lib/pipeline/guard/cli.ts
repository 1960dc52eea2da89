import { runGuard } from './compare-assemblies';

// `npm run guard -- --baseline <cdk.out> --candidate <cdk.out>` (tsx): the report on stdout, the
// blocking changes on stderr, exit 1 when there is one.
const run = runGuard(process.argv.slice(2));
process.stdout.write(run.report);
process.stderr.write(run.errors);
process.exitCode = run.exitCode;

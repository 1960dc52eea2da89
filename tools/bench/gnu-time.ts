import * as os from 'node:os';
import * as path from 'node:path';
import { timed } from './lib/exec';

/** A Node process that holds `mib` MiB resident for a moment. */
function hog(mib: number): string {
  return `node -e "const b = Buffer.alloc(${mib} * 1048576, 1); setTimeout(() => b.length, 300)"`;
}

export interface GnuTimeCheck {
  readonly rows: ReadonlyArray<{ readonly what: string; readonly maxRssKb: number }>;
  readonly conclusion: string;
}

/**
 * What GNU time's %M means for a process tree such as `npx cdk synth` (npx → cdk CLI → sh →
 * npx → tsx → the app, plus esbuild): time reads the rusage of the child it waited for, whose
 * ru_maxrss is the larger of the child's own peak and the peaks of the descendants it waited for
 * (Linux keeps the maximum, `cmaxrss`, up the tree). So %M is the peak RSS of the single largest
 * process, not the sum of processes alive at the same time. Checked here with known sizes.
 */
export function checkGnuTime(logRoot: string): GnuTimeCheck {
  const measure = (what: string, script: string) => ({
    what,
    maxRssKb: timed('sh', ['-c', script], {
      cwd: os.tmpdir(),
      logFile: path.join(logRoot, `gnu-time-${what.replace(/\W+/g, '-')}.log`),
    }).maxRssKb,
  });
  const rows = [
    measure('one node process holding 200 MiB', hog(200)),
    measure('two such processes at the same time, children of sh', `${hog(200)} & ${hog(200)} & wait`),
    measure(
      'a 300 MiB grandchild under a small node parent',
      `node -e "require('child_process').execSync(process.argv[1])" '${hog(300)}'`
    ),
  ];
  const [one, two, grandchild] = rows.map((row) => row.maxRssKb / 1024);
  const largestOnly = two! < one! * 1.5;
  const seesGrandchild = grandchild! > 300;
  return {
    rows,
    conclusion:
      `%M is the peak RSS of the largest single process in the tree${largestOnly ? '' : ' (NOT confirmed: two processes counted as a sum?)'}` +
      `, grandchildren included${seesGrandchild ? '' : ' (NOT confirmed)'}: for cdk synth that is the app process, not CLI + app.`,
  };
}

/**
 * `npm run diagram [-- --cdk-out <dir>] [--check]`: writes docs/architecture.md from the cloud
 * assembly (synthesized in-process unless --cdk-out names one) and lib/config. --check writes
 * nothing and exits 1 when the file is out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHITECTURE_DOC, checkMermaid, generateArchitecture } from './io';
import { mermaidBlocks } from './mermaid';

function main(): number {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string' },
      out: { type: 'string', default: ARCHITECTURE_DOC },
      check: { type: 'boolean', default: false },
    },
  });
  const out = path.resolve(values.out);
  const markdown = generateArchitecture(values['cdk-out'] ? { cdkOut: path.resolve(values['cdk-out']) } : {});

  // Never write a diagram that would not render.
  const failures = checkMermaid(mermaidBlocks(markdown)).flatMap((r, i) =>
    r.ok ? [] : [`diagram ${i + 1}: ${r.error}`]
  );
  if (failures.length > 0) {
    process.stderr.write(`Generated Mermaid does not parse:\n${failures.join('\n')}\n`);
    return 1;
  }

  const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined;
  if (values.check) {
    if (current === markdown) return 0;
    process.stderr.write(`${path.relative(process.cwd(), out)} is out of date: run \`npm run diagram\`\n`);
    return 1;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, markdown);
  process.stdout.write(
    `${current === markdown ? 'Unchanged' : 'Wrote'} ${path.relative(process.cwd(), out)}\n`
  );
  return 0;
}

process.exitCode = main();

/**
 * The build's own reports: `npm run verify` writes them here (scripts/sbom.ts, scripts/audit-gate.ts)
 * and the pipeline's synth step publishes the directory as an output artifact (synth-step.ts).
 * No CDK imports: the scripts load this too.
 */
export const BUILD_REPORTS_DIR = 'build-reports';
/** CycloneDX SBOM of the production dependencies. */
export const SBOM_FILE = 'sbom.cdx.json';
/** `npm audit --omit=dev --json` and the audit gate's decision on it. */
export const AUDIT_REPORT_FILE = 'npm-audit.json';

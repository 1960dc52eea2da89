/**
 * The stack suites that need the stages' construct objects, on one synthAllStages() app
 * (./suites/stages-fixture.ts) instead of one per file. Each suite registers its tests when
 * imported, as it did as a test file of its own.
 */
import './suites/serverless-api-stack';
import './suites/api-waf';
import './suites/canary-deployment';
import './suites/api-canary';

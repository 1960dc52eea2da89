// Parses Mermaid diagrams with the real mermaid parser, without a browser.
// stdin: a JSON array of diagram sources; stdout: a JSON array of { ok, diagramType } | { ok, error }.
// mermaid is ESM-only and sanitises labels with DOMPurify, which needs a window: jsdom provides one.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = [];
for (const source of diagrams) {
  try {
    const { diagramType } = await mermaid.parse(source);
    results.push({ ok: true, diagramType });
  } catch (error) {
    results.push({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}
process.stdout.write(JSON.stringify(results));

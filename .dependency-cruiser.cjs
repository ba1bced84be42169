// Folder rules for src/ and the viewer, checked by `npm run deps` (part of `npm test`).
// The folders follow the data: record → snapshot → read, with format shared by all, config (options
// from the environment, option checks) below snapshot, and triggers and the recorder thread on top of snapshot; arrows point
// one way, so no folder imports a folder that imports it.
// TypeScript 7 has no JavaScript compiler API, so the .ts files are parsed with swc.

/** The folders each src/ folder may import besides itself; src/*.ts at the top may import any. */
const allowed = {
  format: [],
  config: [],
  record: ['format'],
  snapshot: ['record', 'format', 'config'],
  read: ['format'],
  triggers: ['snapshot', 'record', 'format'],
  recorder: ['persist', 'snapshot', 'record', 'format'],
  metrics: ['snapshot'],
  handoff: ['snapshot', 'read', 'record', 'format'],
  persist: ['snapshot', 'record', 'format'],
};

/** Top-level declaration modules every folder may use; they must import no folder themselves. */
const shared = '^src/(types|otel-types|version)[.]ts$';

module.exports = {
  forbidden: [
    ...Object.entries(allowed).map(([folder, imports]) => ({
      name: `${folder}-imports`,
      comment: `src/${folder} may import only ${imports.length ? imports.map((name) => `src/${name}`).join(', ') : 'itself'} and the shared top-level types`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [`^src/(${[folder, ...imports].join('|')})/`, shared] },
    })),
    {
      name: 'shared-types-import-no-folder',
      comment: 'types.ts, otel-types.ts and version.ts are imported by the folders, so they import none',
      severity: 'error',
      from: { path: shared },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'no-circular',
      comment: 'a module reaches itself through its imports',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'library-imports-no-viewer',
      comment: 'the library knows nothing of the viewer built on it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^packages/' },
    },
    {
      name: 'viewer-uses-public-entry',
      comment: "the viewer imports only the ttlog package's public entry (src/index.ts in development, the built package otherwise)",
      severity: 'error',
      from: { path: '^packages/ttlog-view/' },
      to: { path: ['^src/', '^dist/', '(^|/)node_modules/ttlog/'], pathNot: ['^src/index[.]ts$', '(^|/)node_modules/ttlog/dist/index[.]js$'] },
    },
  ],
  options: {
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^packages/ttlog-view/spec/' },
  },
};

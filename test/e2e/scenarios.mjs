// End-to-end scenarios as data, replayed by harness.mjs in the real UI.
import { ROOT } from './harness.mjs';
import { chooseTarget } from './targets.mjs';

const node = (id) => `[data-testid="node-${id}"]`;

/** The designer flow of issue #5, from an empty canvas to a saved, reopened project. */
const designerFlow = [
  { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
  { expectCount: '[data-testid^="node-"][data-op]', count: 0 },
  // Drag the network's nodes from the palette (positions in px from the canvas' top-left).
  { dragFromPalette: 'Input', to: [220, 40] },
  { expect: node('input') },
  { dragFromPalette: 'Flatten', to: [220, 130] },
  { dragFromPalette: 'Linear', to: [220, 220] },
  { dragFromPalette: 'ReLU', to: [220, 310] },
  { dragFromPalette: 'Linear', to: [220, 400] },
  { dragFromPalette: 'Input', to: [560, 400] },
  { dragFromPalette: 'CrossEntropyLoss', to: [390, 500] },
  { expectCount: '[data-testid^="node-"][data-op]', count: 7 },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'true'] },
  // Inspector: MNIST images in, class labels as the target, 128 hidden units.
  { click: `${node('input')} .op-node__head` },
  { fill: '[data-testid=attr-shape]', value: '1, 28, 28' },
  { click: `${node('input2')} .op-node__head` },
  { select: '[data-testid=attr-source]', value: 'target' },
  { fill: '[data-testid=attr-shape]', value: '' },
  { click: `${node('linear')} .op-node__head` },
  { fill: '[data-testid=attr-outFeatures]', value: '0' },
  { expect: '[data-testid=attr-outFeatures-error]', text: 'between 1 and' },
  { fill: '[data-testid=attr-outFeatures]', value: '128' },
  { expectGone: '[data-testid=attr-outFeatures-error]' },
  // Connect by dragging from output handles to input handles.
  { connect: ['input', 'flatten', 0] },
  { connect: ['flatten', 'linear', 0] },
  { connect: ['linear', 'relu', 0] },
  { connect: ['relu', 'linear2', 0] },
  { connect: ['linear2', 'crossentropyloss', 0] },
  { connect: ['input2', 'crossentropyloss', 1] },
  // Edge labels show the shapes; nodes show parameter counts; the status bar the totals.
  { expect: '[data-testid="edge-label-input-flatten-0"]', text: '^N×1×28×28$' },
  { expect: '[data-testid="edge-label-flatten-linear-0"]', text: '^N×784$' },
  { expect: '[data-testid="edge-label-linear-relu-0"]', text: '^N×128$' },
  { expect: '[data-testid="edge-label-linear2-crossentropyloss-0"]', text: '^N×10$' },
  { expect: '[data-testid="edge-label-input2-crossentropyloss-1"]', text: '^N$' },
  { expect: '[data-testid="node-params-linear"]', text: '100k params' },
  { expect: '[data-testid=design-totals]', attr: ['data-params', '101770'] },
  { expect: '[data-testid=design-totals]', attr: ['data-errors', '0'] },
  { expect: '[data-testid=problems]', attr: ['data-count', '0'] },
  // A connection that would make a cycle is refused, with the reason at the cursor.
  { connect: ['relu', 'flatten', 0] },
  { expect: '[data-testid=notice]', text: 'cycle' },
  { expect: '[data-testid="edge-label-input-flatten-0"]' },
  // A wrong target size: the diagnostic lands on the loss node; undo clears it.
  { click: `${node('input2')} .op-node__head` },
  { fill: '[data-testid=attr-shape]', value: '10' },
  { press: 'Escape' },
  { expect: '[data-testid="node-diagnostic-crossentropyloss"]', within: 5_000 },
  { expect: '[data-testid=problem-item][data-node="crossentropyloss"]', text: 'target must be' },
  { click: '[data-testid=problem-item][data-node="crossentropyloss"]' },
  { expect: '[data-testid="node-crossentropyloss"].op-node--selected' },
  { expect: '[data-testid=inspector-node][data-node="crossentropyloss"]', text: 'target must be' },
  { press: 'Control+z' },
  { expectGone: '[data-testid="node-diagnostic-crossentropyloss"]', within: 5_000 },
  { expect: '[data-testid=problems]', attr: ['data-count', '0'] },
  // Zoom to fit so every node is rendered (the canvas culls what is off screen), then snapshot.
  { press: 'Shift+F' },
  { wait: 400 },
  { screenshot: 'designer-mlp' },
  { rememberGraph: 'designed' },
  // Save (web mode: the in-app name prompt), reload the app, open the file, get the same graph.
  { press: 'Control+s' },
  { fill: '[data-testid=save-as-name]', value: 'e2e mlp' },
  { click: '[data-testid=save-as-confirm]' },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'false'] },
  { expect: '[data-testid=doc-title]', text: 'e2e mlp' },
  { reload: true },
  { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
  { expectCount: '[data-testid^="node-"][data-op]', count: 0 },
  { click: '[data-testid=cmd-open]' },
  { click: '[data-testid="open-file-e2e mlp.netwright.json"]' },
  { expectCount: '[data-testid^="node-"][data-op]', count: 7 },
  { expect: '[data-testid="edge-label-flatten-linear-0"]', text: '^N×784$' },
  { wait: 400 },
  { expectGraph: 'designed' },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'false'] },
  { click: '[data-testid=cmd-open]' },
  { expect: '[data-testid=recent-files]', text: 'e2e mlp.netwright.json' },
  { press: 'Escape' },
  // Templates open as editable graphs, with no problems.
  { click: '[data-testid=cmd-templates]' },
  { click: '[data-testid=template-mnist-cnn]' },
  { expect: '[data-testid=doc-title]', text: 'mnist|MNIST' },
  { expect: '[data-testid=design-totals]', attr: ['data-errors', '0'] },
  { expect: '[data-testid=design-totals][data-params]:not([data-params="0"])' },
  // Double-click empty canvas to search-add; duplicate and delete with the keyboard.
  { expectCount: '[data-testid^="node-"][data-op]', count: 13 },
  { dblclickCanvas: [40, 40] },
  { fill: '[data-testid=quick-add-input]', value: 'drop' },
  { press: 'Enter' },
  { expect: node('dropout') },
  { expectCount: '[data-testid^="node-"][data-op]', count: 14 },
  { press: 'Control+d' },
  { expect: node('dropout2') },
  { press: 'Delete' },
  { expectGone: node('dropout2') },
  { click: `${node('dropout')} .op-node__head` },
  { press: 'Delete' },
  { expectCount: '[data-testid^="node-"][data-op]', count: 13 },
  { press: 'Shift+?' },
  { expect: '[data-testid=help-overlay]', text: 'Undo' },
  { press: 'Escape' },
  { click: '[data-testid=cmd-theme]' },
  { expect: '[data-testid=app]', attr: ['data-theme', 'dark'] },
  { screenshot: 'designer-template-dark' },
  { click: '[data-testid=cmd-theme]' },
  // Back to the saved MLP for the next scenario (the template is unsaved: confirm discarding it).
  { click: '[data-testid=cmd-open]' },
  { click: '[data-testid=confirm-ok]' },
  { click: '[data-testid="open-file-e2e mlp.netwright.json"]' },
  { expectCount: '[data-testid^="node-"][data-op]', count: 7 },
];

/** A corrupt or foreign file gives a clear message, and nothing else changes. */
const badFiles = [
  { writeFile: 'broken.netwright.json', text: '{ "format": "netwright.project", "version": 1, "graph": ' },
  { writeFile: 'foreign.json', text: '{ "format": "onnx", "nodes": [] }' },
  { expectCount: '[data-testid^="node-"][data-op]', count: 7, within: 2_000 },
  { rememberGraph: 'before' },
  { click: '[data-testid=cmd-open]' },
  { click: '[data-testid="open-file-broken.netwright.json"]' },
  { expect: '[data-testid=notice]', text: 'not valid JSON' },
  { expect: '[data-testid=notice]', attr: ['data-code', 'E_PROJECT_NOT_JSON'] },
  { press: 'Escape' },
  { click: '[data-testid=cmd-open]' },
  { click: '[data-testid="open-file-foreign.json"]' },
  { expect: '[data-testid=notice]', text: 'not a Netwright project' },
  { press: 'Escape' },
  { expectGraph: 'before' },
  { expect: '[data-testid=doc-title]', text: 'e2e mlp' },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'false'] },
];

/** Unsaved work survives a crash: autosave to the recovery slot, then the restore offer. */
const recovery = [
  { expectCount: '[data-testid^="node-"][data-op]', count: 7 },
  { dragFromPalette: 'Dropout', to: [700, 120] },
  { expect: node('dropout') },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'true'] },
  { wait: 2_500 }, // autosave runs 1.5 s after the last edit
  { reload: true },
  { expect: '[data-testid=recover-dialog]', within: 20_000 },
  { click: '[data-testid=recover-restore]' },
  { expect: node('dropout') },
  { expectCount: '[data-testid^="node-"][data-op]', count: 8 },
  { expect: '[data-testid=doc-title]', text: 'e2e mlp' },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'true'] },
  // Saving clears the recovery slot: the next start offers nothing.
  { press: 'Control+s' },
  { expect: '[data-testid=doc-title]', attr: ['data-dirty', 'false'] },
  { reload: true },
  { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
  { wait: 500 },
  { expectCount: '[data-testid=recover-dialog]', count: 0 },
];

/** Scenarios that drive the in-app file picker, which only web mode shows (Electron uses native dialogs). */
const webOnly = [
  { name: 'designer: build an MLP from the palette, see shapes and diagnostics, undo, save, reload and reopen', steps: designerFlow },
  { name: 'designer: a corrupt or foreign project file is refused with a clear message and changes nothing', steps: badFiles },
  { name: 'designer: unsaved work is autosaved and offered back after a crash', steps: recovery },
];

const target = (() => {
  try {
    return chooseTarget(ROOT).kind;
  } catch {
    return 'none';
  }
})();

export const scenarios = [
  {
    name: 'the app opens and the status bar reports the engine connected',
    steps: [
      { expect: '[data-testid=canvas] .react-flow', within: 20_000 },
      { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
      { expect: '[data-testid=engine-status]', text: 'Engine connected' },
      { expect: '[data-testid=engine-version]', text: '^engine v\\d+\\.\\d+\\.\\d+$' },
      { expect: '[data-testid=engine-backend]', text: '^(CPU · \\d+ threads?|WebGPU)' },
      { screenshot: 'first-screen' },
    ],
  },
  {
    name: 'killing the engine shows within 2 s, and the engine comes back',
    steps: [
      { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
      { remember: { selector: '[data-testid=engine-version]', attr: 'data-pid', as: 'pid' } },
      { killEngine: true },
      { expect: '[data-testid=engine-status]:not([data-state="ready"])', within: 2_000 },
      { expect: '[data-testid=engine-status]', text: 'Engine (crashed|restarting)', within: 2_000 },
      { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 15_000 },
      { expect: '[data-testid=engine-version]', notAttr: ['data-pid', 'pid'] },
    ],
  },
  ...(target === 'web' ? webOnly : []),
];

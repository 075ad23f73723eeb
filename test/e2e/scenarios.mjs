// End-to-end scenarios as data, replayed by harness.mjs in the real UI.
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
];

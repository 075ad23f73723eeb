import { defineTransform } from './types';

/** No corruption: the network sees the samples as they are. */
export const none = defineTransform({
  kind: 'none',
  label: 'none',
  doc: 'The network sees the samples as they are.',
  identity: true,
  params: {},
  apply: () => {},
  testDomain: { torchvision: { none: 'the identity' }, cases: [{ name: 'identity', settings: {} }] },
});

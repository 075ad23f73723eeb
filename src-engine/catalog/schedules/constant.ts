import { declareSchedule } from './types';

export const constant = declareSchedule({ kind: 'constant', label: 'constant', doc: 'The same learning rate throughout.', params: {} });

import type { OptimizerConfig } from '../../base/ir/types';
import { stateSlots, type OptimizerDeclaration } from '../../catalog/optimizers/types';
import type { Backend } from '../backend/types';
import type { UpdateDecl } from '../elementwise/update';
import { DeclaredOptimizer, resolveSettings, type ResolvedSettings } from './declared';
import type { OptimParam, Optimizer } from './types';

/** The settings of the optimizer `K`, as a training config holds them. */
export type OptimizerSettings<K extends OptimizerConfig['kind']> = Extract<OptimizerConfig, { kind: K }>;

/** The settings of `K` with every default filled in (what an update's scalars read). */
export type OptimizerResolved<K extends OptimizerConfig['kind']> = ResolvedSettings<OptimizerSettings<K>>;

/**
 * One optimizer, declared once (one file per optimizer, one line in `optimizer-kinds.ts`): its
 * declaration (settings, spread in from its `declareOptimizer`, which catalog-gen.ts prints into
 * the catalog), its state slots, its update written once in the update language
 * (core/elementwise/update.ts: the reference loop, the GPU's WGSL and the CPU backend's kernel are
 * printed from it) and how the exported train.py builds it. Shaped like `defineOp`.
 */
export interface OptimizerDefinition<K extends OptimizerConfig['kind'] = OptimizerConfig['kind']> extends OptimizerDeclaration<K> {
  /** The buffers it keeps per parameter with `settings` (its declaration's `state`, read by `stateSlots`). */
  slots(settings: OptimizerSettings<K>): string[];
  /** Its update: the forms (one per variant: AMSGrad, Nesterov …) and which one the settings pick. */
  update: UpdateDecl<OptimizerResolved<K>>;
  /** Checks of the settings beyond their declared ranges. @throws `OPTIM_BAD_HYPERPARAM` */
  check?(settings: OptimizerResolved<K>): void;
  /** The optimizer over `params` (checked); `backend`, when it has the form's fused kernel, runs it. */
  create(params: readonly OptimParam[], settings: OptimizerSettings<K>, backend?: Backend): Optimizer;
  /**
   * The same optimizer in train.py: a Python expression over `groups` (the decayed and the
   * undecayed parameters, each group with its `weight_decay`), `lr` and `o` (the settings).
   */
  pytorch: string;
  /**
   * Python source of the `torch.optim.Optimizer` subclass `pytorch` builds, where torch.optim has
   * none (Lion): train.py holds it before `make_optimizer` (exportPytorch places it with the loss
   * helpers). Absent: `pytorch` names a class of torch.optim.
   */
  pytorchClass?: string;
  /**
   * How the tests run it (test/unit/cpu-backend/fused-updates.test.ts runs every form of every
   * optimizer): per form of `update`, the settings that pick it, and its bound where its float32
   * steps stray further from the float64 reference than the default (2e-6 of the tensor's scale
   * over 5 steps). Absent: the form `plain` alone, at the declared defaults and `knownGoodLr`.
   */
  testDomain?: OptimizerTestDomain<K>;
}

/** An optimizer's test settings, per form of its update (see `OptimizerDefinition.testDomain`). */
export interface OptimizerTestDomain<K extends OptimizerConfig['kind'] = OptimizerConfig['kind']> {
  forms: Readonly<Record<string, { settings: Omit<OptimizerSettings<K>, 'kind'>; tolerance?: number }>>;
}

/** Declare an optimizer: its slots and `create` come from its declaration and update. */
export function defineOptimizer<K extends OptimizerConfig['kind']>(def: Omit<OptimizerDefinition<K>, 'slots' | 'create'>): OptimizerDefinition<K> {
  return {
    ...def,
    slots: (settings) => stateSlots(def, settings),
    create(params, settings, backend) {
      const s = resolveSettings(def, settings);
      def.check?.(s);
      const name = def.update.pick(s);
      const form = def.update.forms[name];
      const slots = stateSlots(def, settings);
      // A programming error in the optimizer's file, caught by its first run in the tests.
      if (form.state.join() !== slots.join()) throw new Error(`The ${def.kind} update's form ${name} binds [${form.state.join(', ')}], its declaration keeps [${slots.join(', ')}].`);
      return new DeclaredOptimizer(def.kind, params, settings.lr, { name, form, settings: s }, backend);
    },
  };
}

/** Any one optimizer's declaration (what the registry lists). */
export type AnyOptimizerDefinition = { [K in OptimizerConfig['kind']]: OptimizerDefinition<K> }[OptimizerConfig['kind']];

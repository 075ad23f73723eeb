import { Splitter } from './panels';
import { canvasAspect } from './canvas-view';
import { groupFlowId, groupTree, groupsOf, type NodeGroup } from '../editor/groups';
import { useMemo, useState } from 'react';
import { TextField, type FieldParse } from './TextField';
import { parseSettingNumber, TRAINING_NUMBERS, type NumberSetting } from '../editor/setting-fields';
import { explainCode, findClassifierHead, getOp, isTargetInput, type AttrSpec, type AttrValue, type NodeIR, type TrainingConfig } from '../../../src-engine/facade';
import { backboneOf, holdsWeights, previewClasses } from '../editor/fine-tune';
import { LockIcon } from './LockIcon';
import { commonAttrs, formatAttrValue, parseAttrText, sameValue } from '../editor/attrs';
import { trainingSummary } from '../editor/training-summary';
import { addTrainingSettings } from '../editor/add-settings';
import { formatCount } from './format';
import { useEditor, useTrainUi, useWindow } from '../state/window';

/** The node's id; applied on Enter or when leaving the field (ids are references, so not per keystroke). */
function RenameField({ id }: { id: string }) {
  const w = useWindow();
  const [draft, setDraft] = useState(id);
  const [error, setError] = useState<string | undefined>(undefined);
  const commit = () => {
    const to = draft.trim();
    if (to === id) return setError(undefined);
    const s = w.editor.getState();
    const r = s.edit({ kind: 'rename', from: id, to }, { quiet: true });
    if (r.ok) s.select([to]);
    else setError(r.message);
  };
  return (
    <label className="field" title="The node's id in the IR (an Input's id is the input's name).">
      <span className="field__label">name</span>
      <input className={error ? 'field__input field__input--invalid' : 'field__input'} data-testid="node-name" value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
      {error ? (
        <span className="field__error" role="alert">
          {error}
        </span>
      ) : null}
    </label>
  );
}

function AttrControl({ name, spec, nodes }: { name: string; spec: AttrSpec; nodes: readonly NodeIR[] }) {
  const edit = useEditor((s) => s.edit);
  const values = nodes.map((n) => n.attrs[name]);
  const mixed = values.some((v) => !sameValue(v, values[0]));
  const ids = nodes.map((n) => n.id);
  const testid = `attr-${name}`;
  const apply = (value: AttrValue, coalesce?: string) => edit({ kind: 'set-attrs', nodeIds: ids, attrs: { [name]: value }, ...(coalesce ? { coalesce } : {}) }).ok;
  if (spec.kind === 'bool') {
    return (
      <label className="field field--check" title={spec.doc}>
        <input type="checkbox" data-testid={testid} checked={!mixed && values[0] === true} ref={(el) => void (el && (el.indeterminate = mixed))} onChange={(e) => apply(e.target.checked)} />
        <span className="field__label">{name}</span>
      </label>
    );
  }
  if (spec.kind === 'enum') {
    return (
      <label className="field" title={spec.doc}>
        <span className="field__label">{name}</span>
        <select className="field__input" data-testid={testid} value={mixed ? '' : String(values[0])} onChange={(e) => apply(e.target.value)}>
          {mixed ? <option value="">(mixed)</option> : null}
          {spec.values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    );
  }
  const range = 'min' in spec && (spec.min !== undefined || ('max' in spec && spec.max !== undefined)) ? ` (${spec.min ?? '…'}–${'max' in spec && spec.max !== undefined ? spec.max : '…'})` : '';
  return (
    <TextField
      label={`${name}${range}`}
      problemLabel={`${ids.join(', ')} · ${name}`}
      nodeId={ids[0]}
      testid={testid}
      doc={spec.doc}
      value={mixed ? '' : formatAttrValue(values[0])}
      placeholder={mixed ? '(mixed)' : formatAttrValue(spec.default)}
      parse={(text) => {
        const r = parseAttrText(spec, text);
        return r.ok ? { ok: true, apply: (c) => apply(r.value, c) } : r;
      }}
    />
  );
}

/**
 * Fine-tuning: the selection's frozen switch (one edit for every selected node), and for a layer
 * with an output width (a classifier's head), Replace head — a new layer sized to the chosen
 * dataset's classes, fresh weights — and Freeze the layers before it.
 */
function FineTuning({ nodes }: { nodes: readonly NodeIR[] }) {
  const w = useWindow();
  const edit = useEditor((s) => s.edit);
  const graph = useEditor((s) => s.history.present.graph);
  // The Train dock's preview of the design's own data (by its key, not its dataset's name: a user's folder is named after itself).
  const datasetClasses = useTrainUi((s) => previewClasses(graph, s));
  const [classes, setClasses] = useState('');
  // Only layers with weights have something to freeze (a ReLU in the selection is left as it is).
  const weighted = nodes.filter((n) => holdsWeights(n.op));
  if (weighted.length === 0) return null;
  const ids = weighted.map((n) => n.id);
  const frozen = weighted.filter((n) => n.frozen === true).length;
  const mixed = frozen > 0 && frozen < weighted.length;
  const single = nodes.length === 1 ? nodes[0] : undefined;
  const width = single ? getOp(single.op)?.widthAttr : undefined;
  const k = classes.trim() === '' ? datasetClasses : Number(classes);
  const backbone = single ? backboneOf(graph, single.id) : [];
  return (
    <div className="inspector__finetune" data-testid="inspector-finetune">
      <h4>Fine-tuning</h4>
      <label className="field field--check" title="Frozen: training leaves the parameters as they are (no update, no weight decay); a frozen BatchNorm keeps its running statistics (eval mode).">
        <input type="checkbox" data-testid="node-frozen" checked={frozen === weighted.length} ref={(el) => void (el && (el.indeterminate = mixed))} onChange={(e) => edit({ kind: 'set-frozen', nodeIds: ids, frozen: e.target.checked })} />
        <span className="field__label">
          <LockIcon /> frozen{weighted.length > 1 ? ` (${weighted.length} layers)` : ''}
        </span>
      </label>
      {single && width ? (
        <>
          <label className="field" title="Classes of the new head; empty: the chosen dataset's.">
            <span className="field__label">new head&apos;s classes</span>
            <input className="field__input" data-testid="head-classes" inputMode="numeric" value={classes} placeholder={datasetClasses !== undefined ? `${datasetClasses} (the dataset's)` : 'e.g. 10'} onChange={(e) => setClasses(e.target.value)} />
          </label>
          <p className="inspector__group">
            <button
              type="button"
              data-testid="cmd-replace-head"
              disabled={!(k !== undefined && Number.isInteger(k) && k >= 1)}
              title="Replace this layer with a new one of that many outputs (fresh weights), wired where it was; undo brings the old one back"
              onClick={() => {
                const r = edit({ kind: 'replace-head', nodeId: single.id, classes: k! });
                if (r.ok) {
                  const head = r.doc.graph.nodes.find((n) => !graph.nodes.some((o) => o.id === n.id));
                  if (head) w.editor.getState().select([head.id]);
                }
              }}
            >
              Replace head
            </button>{' '}
            <button
              type="button"
              data-testid="cmd-freeze-backbone"
              disabled={backbone.length === 0}
              title="Freeze every layer this one reads from (directly or not): only this head trains"
              onClick={() => edit({ kind: 'set-frozen', nodeIds: backbone, frozen: true })}
            >
              Freeze the layers before it
            </button>
          </p>
        </>
      ) : null}
    </div>
  );
}

function NodeInspector({ nodes }: { nodes: readonly NodeIR[] }) {
  const w = useWindow();
  const params = useEditor((s) => (nodes.length === 1 ? s.analysis.nodeParams[nodes[0].id] : undefined));
  const problems = useEditor((s) => (nodes.length === 1 ? s.analysis.byNode[nodes[0].id] : undefined));
  const def = getOp(nodes[0].op);
  const attrs = commonAttrs(nodes);
  const single = nodes.length === 1 ? nodes[0] : undefined;
  return (
    <div className="inspector__body" data-testid="inspector-node" data-node={single?.id ?? ''}>
      <h3>{single ? `${single.op}` : `${nodes.length} nodes`}</h3>
      {single ? <p className="inspector__doc">{def?.doc}</p> : <p className="inspector__doc">Editing the attributes they share.</p>}
      {single ? (
        <RenameField key={single.id} id={single.id} />
      ) : null}
      {attrs.map(([name, spec]) => (
        <AttrControl key={`${nodes.map((n) => n.id).join(',')}:${name}`} name={name} spec={spec} nodes={nodes} />
      ))}
      {single && isTargetInput(single) ? (
        <p className="inspector__doc" data-testid="target-shape-hint">
          Target shape: empty ([]) for class labels (CrossEntropyLoss); the prediction&apos;s per-sample shape for MSE, L1, Huber or BCE.
        </p>
      ) : null}
      {attrs.length === 0 ? <p className="inspector__none">{nodes.length > 1 ? 'These nodes share no attributes.' : 'No attributes.'}</p> : null}
      {params !== undefined ? (
        <p className="inspector__params">
          {formatCount(params)} {single?.frozen ? 'frozen' : 'trainable'} parameters ({params.toLocaleString()})
        </p>
      ) : null}
      <FineTuning nodes={nodes} />
      {problems?.map((d, i) => (
        <p key={i} className={`inspector__problem inspector__problem--${d.severity}`} title={explainCode(d.code)}>
          {d.code}: {d.message}
        </p>
      ))}
      {nodes.length > 1 ? (
        <p className="inspector__group">
          <button type="button" data-testid="cmd-group" onClick={() => w.editor.getState().groupSelection()} title="Show these nodes as one card you can open (Mod+G); a connected block with one way in and one way out">
            Group
          </button>
        </p>
      ) : null}
      {single ? <GroupOf id={single.id} /> : null}
    </div>
  );
}

/** For a node in an open group: which (the innermost), and a way to ungroup it. */
function GroupOf({ id }: { id: string }) {
  const w = useWindow();
  const group = useEditor((s) => {
    const tree = groupTree(s.history.present.graph);
    const inner = tree.innermost.get(id);
    return inner === undefined ? undefined : tree.byId.get(inner);
  });
  if (!group) return null;
  return (
    <p className="inspector__group">
      In group <b>{group.name}</b>{' '}
      <button type="button" data-testid="cmd-ungroup" onClick={() => w.editor.getState().ungroupSelection()} title="Remove the group (the nodes stay; Mod+Shift+G)">
        Ungroup
      </button>
    </p>
  );
}

/** Members listed in the inspector; a larger group says how many more. */
const MEMBERS_LISTED = 40;

/** A folded group's card is selected: its members, and open / ungroup. */
function GroupInspector({ group }: { group: NodeGroup }) {
  const w = useWindow();
  const nodes = useEditor((s) => s.history.present.graph.nodes);
  const ops = group.nodes.slice(0, MEMBERS_LISTED).map((m) => `${m} (${nodes.find((n) => n.id === m)?.op ?? '?'})`);
  // Freezing a group freezes its members with weights (a ReLU has nothing to freeze).
  const weighted = group.nodes.filter((m) => holdsWeights(nodes.find((n) => n.id === m)?.op ?? ''));
  const frozen = weighted.length > 0 && weighted.every((m) => nodes.find((n) => n.id === m)?.frozen === true);
  return (
    <div className="inspector__body" data-testid="inspector-group" data-group={group.id}>
      <h3>Group {group.name}</h3>
      <p className="inspector__doc">{group.nodes.length} nodes drawn as one card; the network trains the same. Double-click the card to open it.</p>
      <ol className="inspector__members">
        {ops.map((o) => (
          <li key={o}>{o}</li>
        ))}
      </ol>
      {group.nodes.length > MEMBERS_LISTED ? <p className="inspector__doc">… and {group.nodes.length - MEMBERS_LISTED} more.</p> : null}
      <p className="inspector__group">
        <button type="button" data-testid="cmd-group-open" onClick={() => w.editor.getState().setGroupOpen(group.id, true, canvasAspect())}>
          Open
        </button>{' '}
        <button
          type="button"
          data-testid="cmd-group-freeze"
          title={frozen ? 'Train these layers again' : 'Freeze every layer of the group: training leaves their parameters as they are'}
          onClick={() => w.editor.getState().edit({ kind: 'set-frozen', nodeIds: weighted, frozen: !frozen })}
        >
          {frozen ? (
            'Unfreeze'
          ) : (
            <>
              <LockIcon /> Freeze
            </>
          )}
        </button>{' '}
        <button type="button" data-testid="cmd-ungroup" onClick={() => w.editor.getState().ungroupSelection()} title="Remove the group (the nodes stay; Mod+Shift+G)">
          Ungroup
        </button>
      </p>
    </div>
  );
}

/** A classifier's head, found as fine-tuning finds it (`findClassifierHead`), with a way to select it (Replace head is in its inspector). */
function ClassifierLine() {
  const w = useWindow();
  const graph = useEditor((s) => s.history.present.graph);
  const shapes = useEditor((s) => s.analysis.shapes);
  const head = useMemo(() => findClassifierHead(graph, shapes), [graph, shapes]);
  if (!head) return null;
  return (
    <p className="inspector__doc" data-testid="classifier-head" data-head={head.head} data-classes={head.classes}>
      A classifier of {head.classes} classes; head <b>{head.head}</b>.{' '}
      <button type="button" data-testid="cmd-select-head" title="Select the head: its inspector replaces it for a dataset's classes and freezes the layers before it" onClick={() => w.editor.getState().select([head.head])}>
        Select head
      </button>
    </p>
  );
}

function GraphInspector() {
  const w = useWindow();
  const graph = useEditor((s) => s.history.present.graph);
  const edit = useEditor((s) => s.edit);
  const training = graph.training;
  const setTraining = (patch: Partial<TrainingConfig>, coalesce: string) => edit({ kind: 'set-training', training: { ...training!, ...patch }, coalesce }).ok;
  // The Train dock's fields read the same settings the same way (editor/setting-fields.ts).
  const numberField = (spec: NumberSetting, get: (value: number) => Partial<TrainingConfig>) => (text: string): FieldParse => {
    const r = parseSettingNumber(spec, text);
    return r.ok ? { ok: true, apply: (c) => setTraining(get(r.value), c), ...(r.warning ? { warning: r.warning } : {}) } : r;
  };
  return (
    <div className="inspector__body" data-testid="inspector-graph">
      <h3>Network</h3>
      <TextField label="name" testid="graph-name" value={graph.name ?? ''} parse={(t) => ({ ok: true, apply: (c) => edit({ kind: 'set-name', name: t, coalesce: c }).ok })} />
      <p className="inspector__doc">Outputs: {Object.entries(graph.outputs).map(([k, v]) => `${k} → ${v}`).join(', ') || 'none'}</p>
      <ClassifierLine />
      {training ? (
        <>
          <h4>Training</h4>
          <p className="inspector__doc" data-testid="training-summary">
            {trainingSummary(graph, training)}
          </p>
          <TextField label="batch size" testid="training-batchSize" value={String(training.batchSize)} parse={numberField(TRAINING_NUMBERS.batchSize, (batchSize) => ({ batchSize }))} />
          <TextField label="epochs" testid="training-epochs" value={String(training.epochs)} parse={numberField(TRAINING_NUMBERS.epochs, (epochs) => ({ epochs }))} />
          <TextField label="learning rate" testid="training-lr" value={String(training.optimizer.lr)} parse={numberField(TRAINING_NUMBERS.lr, (lr) => ({ optimizer: { ...training.optimizer, lr } }))} />
        </>
      ) : (
        <p className="inspector__none">
          No training settings yet: nothing can train.{' '}
          <button type="button" data-testid="inspector-add-settings" onClick={() => addTrainingSettings(w)} title="Dataset, loss, optimizer and schedule chosen for this design; change them in the Train dock">
            Add settings
          </button>
        </p>
      )}
    </div>
  );
}

/** Attributes of the selection, with controls generated from the registry's AttrSpecs. */
export function Inspector() {
  const w = useWindow();
  const nodes = useEditor((s) => s.history.present.graph.nodes);
  const selected = useEditor((s) => s.selectedNodes);
  const chosen = nodes.filter((n) => selected.has(n.id));
  // A folded group's card (an open group is a frame, not selectable: a selection left from its card is stale).
  const group = useEditor((s) => (chosen.length === 0 ? groupsOf(s.history.present.graph).find((g) => selected.has(groupFlowId(g.id)) && !s.history.present.open?.includes(g.id)) : undefined));
  return (
    <aside className="inspector" data-testid="inspector" aria-label="Inspector">
      <Splitter size="inspectorWidth" label="Inspector width" />
      <button type="button" className="panel-fold inspector__fold" data-testid="inspector-collapse" title="Hide the inspector (the strip on the right brings it back)" onClick={() => w.panels.getState().set({ inspectorOpen: false })}>
        »
      </button>
      {chosen.length > 0 ? <NodeInspector nodes={chosen} /> : group ? <GroupInspector group={group} /> : <GraphInspector />}
    </aside>
  );
}

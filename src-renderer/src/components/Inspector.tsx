import { Splitter } from './panels';
import { canvasAspect } from './canvas-view';
import { groupFlowId, groupTree, groupsOf, type NodeGroup } from '../editor/groups';
import { usePanels } from '../state/panels';
import { useState } from 'react';
import { TextField, type FieldParse } from './TextField';
import { parseSettingNumber, TRAINING_NUMBERS, type NumberSetting } from '../editor/setting-fields';
import { getOp, isTargetInput, type AttrSpec, type AttrValue, type NodeIR, type TrainingConfig } from '../../../src-engine/facade';
import { commonAttrs, formatAttrValue, parseAttrText, sameValue } from '../editor/attrs';
import { useEditor } from '../state/editor-store';
import { trainingSummary } from '../editor/training-summary';
import { addTrainingSettings } from '../editor/add-settings';
import { formatCount } from './format';

/** The node's id; applied on Enter or when leaving the field (ids are references, so not per keystroke). */
function RenameField({ id }: { id: string }) {
  const [draft, setDraft] = useState(id);
  const [error, setError] = useState<string | undefined>(undefined);
  const commit = () => {
    const to = draft.trim();
    if (to === id) return setError(undefined);
    const s = useEditor.getState();
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

function NodeInspector({ nodes }: { nodes: readonly NodeIR[] }) {
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
      {params !== undefined ? <p className="inspector__params">{formatCount(params)} trainable parameters ({params.toLocaleString()})</p> : null}
      {problems?.map((d, i) => (
        <p key={i} className={`inspector__problem inspector__problem--${d.severity}`}>
          {d.code}: {d.message}
        </p>
      ))}
      {nodes.length > 1 ? (
        <p className="inspector__group">
          <button type="button" data-testid="cmd-group" onClick={() => useEditor.getState().groupSelection()} title="Show these nodes as one card you can open (Mod+G); a connected block with one way in and one way out">
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
  const group = useEditor((s) => {
    const tree = groupTree(s.history.present.graph);
    const inner = tree.innermost.get(id);
    return inner === undefined ? undefined : tree.byId.get(inner);
  });
  if (!group) return null;
  return (
    <p className="inspector__group">
      In group <b>{group.name}</b>{' '}
      <button type="button" data-testid="cmd-ungroup" onClick={() => useEditor.getState().ungroupSelection()} title="Remove the group (the nodes stay; Mod+Shift+G)">
        Ungroup
      </button>
    </p>
  );
}

/** Members listed in the inspector; a larger group says how many more. */
const MEMBERS_LISTED = 40;

/** A folded group's card is selected: its members, and open / ungroup. */
function GroupInspector({ group }: { group: NodeGroup }) {
  const nodes = useEditor((s) => s.history.present.graph.nodes);
  const ops = group.nodes.slice(0, MEMBERS_LISTED).map((m) => `${m} (${nodes.find((n) => n.id === m)?.op ?? '?'})`);
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
        <button type="button" data-testid="cmd-group-open" onClick={() => useEditor.getState().setGroupOpen(group.id, true, canvasAspect())}>
          Open
        </button>{' '}
        <button type="button" data-testid="cmd-ungroup" onClick={() => useEditor.getState().ungroupSelection()} title="Remove the group (the nodes stay; Mod+Shift+G)">
          Ungroup
        </button>
      </p>
    </div>
  );
}

function GraphInspector() {
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
          <button type="button" data-testid="inspector-add-settings" onClick={addTrainingSettings} title="Dataset, loss, optimizer and schedule chosen for this design; change them in the Train dock">
            Add settings
          </button>
        </p>
      )}
    </div>
  );
}

/** Attributes of the selection, with controls generated from the registry's AttrSpecs. */
export function Inspector() {
  const nodes = useEditor((s) => s.history.present.graph.nodes);
  const selected = useEditor((s) => s.selectedNodes);
  const chosen = nodes.filter((n) => selected.has(n.id));
  // A folded group's card (an open group is a frame, not selectable: a selection left from its card is stale).
  const group = useEditor((s) => (chosen.length === 0 ? groupsOf(s.history.present.graph).find((g) => selected.has(groupFlowId(g.id)) && !s.history.present.open?.includes(g.id)) : undefined));
  return (
    <aside className="inspector" data-testid="inspector" aria-label="Inspector">
      <Splitter size="inspectorWidth" label="Inspector width" />
      <button type="button" className="panel-fold inspector__fold" data-testid="inspector-collapse" title="Hide the inspector (the strip on the right brings it back)" onClick={() => usePanels.getState().set({ inspectorOpen: false })}>
        »
      </button>
      {chosen.length > 0 ? <NodeInspector nodes={chosen} /> : group ? <GroupInspector group={group} /> : <GraphInspector />}
    </aside>
  );
}

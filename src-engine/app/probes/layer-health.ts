import type { ActivationProbeEntry, HealthWarning, ParamProbeEntry } from '../../protocol';

/** Thresholds of the layer-health rules (defaults in `DEFAULT_HEALTH_THRESHOLDS`). */
export interface HealthThresholds {
  /** ReLU units dead on the whole probe batch, as a fraction of the layer. */
  deadFrac: number;
  /** Sigmoid/Tanh values in the flat tails. */
  saturatedFrac: number;
  /** A weight's gradient norm below this fraction of the largest (non-exploding) weight gradient norm. */
  vanishingRatio: number;
  /** A gradient norm above this. */
  explodingNorm: number;
  /** ‖ΔW‖/‖W‖ of one step above this (a healthy run sits near 1e-3). */
  updateRatio: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  deadFrac: 0.5,
  saturatedFrac: 0.5,
  vanishingRatio: 1e-4,
  explodingNorm: 1e3,
  updateRatio: 0.1,
};

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Rules that turn probe figures into warnings with a suggested fix: dead ReLUs, saturated
 * Sigmoid/Tanh, vanishing and exploding gradients, oversized updates, NaN/Inf.
 */
export function layerHealth(
  layers: readonly ActivationProbeEntry[],
  params: readonly ParamProbeEntry[],
  t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
  /** The network's outputs (what a loss compares, or a named output): squashed on purpose (a Sigmoid reconstruction), so never "saturated". */
  outputs: ReadonlySet<string> = new Set(),
): HealthWarning[] {
  const out: HealthWarning[] = [];
  for (const l of layers) {
    if (l.stats.nonFinite > 0) {
      out.push({
        code: 'HEALTH_NONFINITE',
        severity: 'error',
        nodeId: l.nodeId,
        message: `${l.nodeId} outputs ${l.stats.nonFinite} NaN/Inf values on the probe batch.`,
        fix: 'Lower the learning rate, add gradient clipping, or check the data for extreme values.',
      });
    }
    if (l.deadFrac !== undefined && l.deadFrac >= t.deadFrac) {
      out.push({
        code: 'HEALTH_DEAD_RELU',
        severity: 'warning',
        nodeId: l.nodeId,
        message: `${pct(l.deadFrac)} of ${l.nodeId}'s units output 0 for every probe sample; they pass no gradient and stop learning.`,
        fix: 'Lower the learning rate, use He (Kaiming) initialisation, add BatchNorm before the ReLU, or use LeakyReLU.',
      });
    }
    if (l.saturatedFrac !== undefined && l.saturatedFrac >= t.saturatedFrac && !outputs.has(l.nodeId)) {
      out.push({
        code: 'HEALTH_SATURATED',
        severity: 'warning',
        nodeId: l.nodeId,
        message: `${pct(l.saturatedFrac)} of ${l.nodeId}'s outputs sit in the flat tails of ${l.op}, where its gradient is almost 0.`,
        fix: 'Add BatchNorm before it, lower the learning rate, use Xavier initialisation, or switch to ReLU.',
      });
    }
  }
  const weights = params.filter((p) => p.name === 'weight' && !p.frozen);
  // Measured against the largest healthy weight gradient: an exploding layer must not make all the others look vanishing.
  const largest = Math.max(0, ...weights.map((p) => (p.gradNorm !== null && p.gradNorm <= t.explodingNorm ? p.gradNorm : 0)));
  for (const p of params) {
    if (p.weightStats.nonFinite > 0) {
      out.push({
        code: 'HEALTH_NONFINITE',
        severity: 'error',
        nodeId: p.nodeId,
        message: `${p.nodeId}.${p.name} holds ${p.weightStats.nonFinite} NaN/Inf values.`,
        fix: 'Resume from the last good state with a lower learning rate.',
      });
    } else if (p.gradNorm === null || p.frozen) {
      continue;
    } else if (p.gradNorm > t.explodingNorm) {
      out.push({
        code: 'HEALTH_EXPLODING_GRAD',
        severity: 'warning',
        nodeId: p.nodeId,
        message: `The gradient of ${p.nodeId}.${p.name} has norm ${p.gradNorm.toPrecision(3)}.`,
        fix: 'Lower the learning rate, enable gradient clipping (by norm, e.g. 1.0), or add BatchNorm.',
      });
    } else if (p.name === 'weight' && largest > 0 && p.gradNorm < largest * t.vanishingRatio) {
      out.push({
        code: 'HEALTH_VANISHING_GRAD',
        severity: 'warning',
        nodeId: p.nodeId,
        message: `${p.nodeId}'s weight gradient is ${(p.gradNorm / largest).toExponential(1)} of the largest layer's: it barely learns.`,
        fix: 'Use ReLU instead of Sigmoid/Tanh in hidden layers, add BatchNorm, or use He initialisation.',
      });
    }
    // Weights only: a bias or BatchNorm shift that starts at 0 changes by 100% of its size on the first step.
    if (p.name === 'weight' && p.updateRatio !== null && p.updateRatio > t.updateRatio) {
      out.push({
        code: 'HEALTH_LARGE_UPDATES',
        severity: 'warning',
        nodeId: p.nodeId,
        message: `One step changes ${p.nodeId}.${p.name} by ${pct(p.updateRatio)} of its size (healthy: about 0.1%).`,
        fix: 'Lower the learning rate.',
      });
    }
  }
  return out;
}

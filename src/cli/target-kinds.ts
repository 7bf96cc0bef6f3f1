// The kinds `explain` takes, by every name kubectl accepts for them (shared with shell completion).
export type TargetKind = 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet';

export const TARGET_KINDS: Readonly<Record<string, TargetKind>> = {
  pod: 'Pod', pods: 'Pod', po: 'Pod',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet',
};

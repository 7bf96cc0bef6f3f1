// The members of raw pods and workloads that records.ts reads, as projections for the list splitter:
// the live source cuts every listed pod and workload down to these while it arrives, so JSON.parse
// never sees a pod's managedFields, status, env, probes or volumes (nine tenths of its bytes).
//
// These must name everything podRecord and workloadRecord read. test/sources/record-fields.test.ts
// changes every member of richly populated objects one at a time and checks the records of projected
// and whole objects stay equal: a field a record starts reading and that is missing here fails it.
import { KeepKeys, type Projection } from './list-splitter.js';
import { keepAnnotation } from './records.js';

const OWNER_REFERENCE = { kind: true, name: true, controller: true } as const;

const POD_METADATA = {
  name: true,
  generateName: true,
  namespace: true,
  labels: true,
  annotations: new KeepKeys(keepAnnotation),
  creationTimestamp: true,
  ownerReferences: OWNER_REFERENCE,
} as const;

// args: istio-proxy's `proxy router|waypoint` tells a gateway or waypoint (records.ts proxyRole).
const CONTAINER = { name: true, image: true, restartPolicy: true, args: true } as const;

const POD_SPEC = { hostNetwork: true, containers: CONTAINER, initContainers: CONTAINER } as const;

const POD_TEMPLATE = { metadata: POD_METADATA, spec: POD_SPEC } as const;

/** What podRecord reads. */
export const POD_FIELDS: Projection = { kind: true, metadata: POD_METADATA, spec: POD_SPEC };

/** What workloadRecord reads, for every workload kind (CronJobs have their template under jobTemplate). */
export const WORKLOAD_FIELDS: Projection = {
  kind: true,
  metadata: { name: true, namespace: true, labels: true, generation: true, ownerReferences: OWNER_REFERENCE },
  spec: {
    replicas: true,
    selector: true,
    paused: true,
    strategy: { type: true },
    updateStrategy: { type: true, rollingUpdate: { partition: true } },
    template: POD_TEMPLATE,
    jobTemplate: { spec: { template: POD_TEMPLATE } },
  },
  status: {
    observedGeneration: true,
    replicas: true,
    updatedReplicas: true,
    readyReplicas: true,
    availableReplicas: true,
    desiredNumberScheduled: true,
    currentNumberScheduled: true,
    updatedNumberScheduled: true,
    numberReady: true,
    numberAvailable: true,
    conditions: { type: true, reason: true },
    currentRevision: true,
    updateRevision: true,
  },
};

/** What serviceRecord reads: only a Service's identity and labels (istio.io/use-waypoint). */
export const SERVICE_FIELDS: Projection = { kind: true, metadata: { name: true, namespace: true, labels: true } };

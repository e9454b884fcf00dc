/**
 * The PersistentVolume binder (kube-controller-manager's persistentvolume-binder) together with
 * the control-plane half of the built-in `skiff.io/local-path` provisioner (as rancher's
 * local-path-provisioner behaves for k3s).
 *
 * Claims (one queue, `namespace/name`):
 * - unbound claims without a class get the default StorageClass (retroactive default);
 * - a claim binds to the volume pre-bound to it or the smallest matching Available volume; the
 *   volume gets `spec.claimRef` (and `bound-by-controller` when the controller chose it), the claim
 *   `spec.volumeName`, `bind-completed` and status Bound with the volume's capacity and modes;
 * - WaitForFirstConsumer claims wait (event WaitForFirstConsumer) until the scheduler set
 *   `volume.kubernetes.io/selected-node`; then a static volume fitting that node is bound or, for
 *   a local-path class, a volume `pvc-<uid>` with node affinity to that node is provisioned;
 * - a bound claim whose volume disappeared or was taken is Lost.
 * Volumes (one queue, name): Available without claimRef, Bound with their claim, Released once the
 * claim is gone; then Retain keeps them, Delete removes local-path volumes (others fail as
 * upstream without a deleter plugin).
 *
 * Every sync reads the caches and is idempotent; writes carry the cached resourceVersion, so a
 * stale view fails with 409 and the key is retried.
 */
import { deepCopy } from '../../apimachinery/object.js';
import type { RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runWorkers } from '../../client/work-queue.js';
import type { WorkQueue } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import { createEventRecorder, jsonEqual } from '../replicaset/controller-utils.js';
import type { ClaimObject, NodeObject, PersistentVolumeObject, StorageClassObject } from './pv-util.js';
import {
  ANN_BETA_STORAGE_CLASS, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, ANN_YES, DEFAULT_LOCAL_PATH_PREFIX, LOCAL_PATH_PROVISIONER,
  MSG_NO_VOLUME_NO_CLASS, MSG_WAIT_FOR_FIRST_CONSUMER, NODES, PERSISTENT_VOLUMES, PERSISTENT_VOLUME_CLAIMS, STORAGE_CLASSES,
  claimClass, findBestMatchForClaim, pickDefaultClass, isVolumeBoundToClaim, newLocalPathVolume, provisionedVolumeName, volumeSatisfiesClaim,
} from './pv-util.js';

const COMPONENT = 'persistentvolume-controller';
/** Upstream's default resync of the binder. */
const RESYNC_MS = 15_000;

export interface PersistentVolumeControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  logger?: Logger;
  /** Where local-path volumes live on the node; default /var/lib/skiff/storage. */
  localPathPrefix?: string;
  resyncMs?: number;
}

export interface PersistentVolumeController {
  done: Promise<void>;
  syncClaim(key: string): Promise<void>;
  syncVolume(name: string): Promise<void>;
}

type ClaimPhase = 'Pending' | 'Bound' | 'Lost';
type VolumePhase = 'Available' | 'Bound' | 'Released' | 'Failed';

export function startPersistentVolumeController(opts: PersistentVolumeControllerOptions): PersistentVolumeController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const prefix = opts.localPathPrefix ?? DEFAULT_LOCAL_PATH_PREFIX;
  const pvInf: Informer<PersistentVolumeObject> = factory.informerFor<PersistentVolumeObject>(PERSISTENT_VOLUMES);
  const pvcInf: Informer<ClaimObject> = factory.informerFor<ClaimObject>(PERSISTENT_VOLUME_CLAIMS);
  const scInf: Informer<StorageClassObject> = factory.informerFor<StorageClassObject>(STORAGE_CLASSES);
  const nodeInf: Informer<NodeObject> = factory.informerFor<NodeObject>(NODES);
  const claimQueue: WorkQueue<string> = createWorkQueue<string>({ name: 'claims' });
  const volumeQueue: WorkQueue<string> = createWorkQueue<string>({ name: 'volumes' });
  const recorder = createEventRecorder(client, COMPONENT, logger);
  const provisionerRecorder = createEventRecorder(client, LOCAL_PATH_PROVISIONER, logger);
  /** Events already sent per claim/volume uid, so a resync does not repeat them. */
  const sent = new Map<string, Set<string>>();

  function eventOnce(rec: typeof recorder, obj: ClaimObject | PersistentVolumeObject, kind: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const uid = obj.metadata.uid ?? '';
    let set = sent.get(uid);
    if (!set) sent.set(uid, (set = new Set()));
    const k = `${reason}\n${message}`;
    if (set.has(k)) return;
    set.add(k);
    rec.event(obj, 'v1', kind, type, reason, message);
  }
  const claimEvent = (c: ClaimObject, type: 'Normal' | 'Warning', reason: string, message: string): void =>
    eventOnce(recorder, c, 'PersistentVolumeClaim', type, reason, message);
  const volumeEvent = (v: PersistentVolumeObject, type: 'Normal' | 'Warning', reason: string, message: string): void =>
    eventOnce(recorder, v, 'PersistentVolume', type, reason, message);

  const enqueueClaim = (c: ClaimObject): void => claimQueue.add(metaNamespaceKey(c));
  const enqueueVolume = (v: PersistentVolumeObject): void => volumeQueue.add(v.metadata.name ?? '');

  pvInf.addEventHandler({
    onAdd: enqueueVolume,
    onUpdate: (_old, v) => enqueueVolume(v),
    onDelete: (obj) => {
      const v = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      sent.delete(v.metadata.uid ?? '');
      const ref = v.spec?.claimRef;
      if (ref?.name) claimQueue.add(`${ref.namespace ?? ''}/${ref.name}`);
    },
  });
  pvcInf.addEventHandler({
    onAdd: enqueueClaim,
    onUpdate: (_old, c) => enqueueClaim(c),
    onDelete: (obj) => {
      const c = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      sent.delete(c.metadata.uid ?? '');
      if (c.spec?.volumeName) volumeQueue.add(c.spec.volumeName);
      // Volumes pointing at the claim by uid (e.g. provisioned but not yet bound ones).
      for (const v of pvInf.store.list()) if (v.spec?.claimRef?.uid && v.spec.claimRef.uid === c.metadata.uid) enqueueVolume(v);
    },
  });
  const enqueueUnboundClaims = (): void => {
    for (const c of pvcInf.store.list()) if (!c.spec?.volumeName) enqueueClaim(c);
  };
  scInf.addEventHandler({ onAdd: enqueueUnboundClaims, onUpdate: enqueueUnboundClaims });
  nodeInf.addEventHandler({
    onAdd: (n) => {
      for (const c of pvcInf.store.list()) if (!c.spec?.volumeName && c.metadata.annotations?.[ANN_SELECTED_NODE] === n.metadata.name) enqueueClaim(c);
    },
  });

  // ---- writes ----

  async function updateClaim(c: ClaimObject): Promise<ClaimObject> {
    return client.update<ClaimObject>(PERSISTENT_VOLUME_CLAIMS, c, { signal });
  }

  async function setClaimPhase(claim: ClaimObject, phase: ClaimPhase, volume: PersistentVolumeObject | undefined): Promise<ClaimObject> {
    const next = deepCopy(claim);
    const status = { ...(next.status ?? {}) };
    status.phase = phase;
    if (volume) {
      if (volume.spec?.accessModes) status.accessModes = [...volume.spec.accessModes];
      if (volume.spec?.capacity) status.capacity = { ...volume.spec.capacity };
    } else {
      delete status.accessModes;
      delete status.capacity;
    }
    if (jsonEqual(status, claim.status ?? {})) return claim;
    next.status = status;
    return client.updateStatus<ClaimObject>(PERSISTENT_VOLUME_CLAIMS, next, { signal });
  }

  async function setVolumePhase(volume: PersistentVolumeObject, phase: VolumePhase, message = ''): Promise<PersistentVolumeObject> {
    if (volume.status?.phase === phase && (volume.status?.message ?? '') === message) return volume;
    const next = deepCopy(volume);
    const status = { ...(next.status ?? {}), phase };
    if (message) status.message = message;
    else delete status.message;
    delete status.reason;
    next.status = status;
    return client.updateStatus<PersistentVolumeObject>(PERSISTENT_VOLUMES, next, { signal });
  }

  /** Binds both sides (upstream bind: volume first, then the claim, then the claim's status). */
  async function bind(volume: PersistentVolumeObject, claim: ClaimObject): Promise<void> {
    let v = volume;
    const ref = v.spec?.claimRef;
    const byController = !isVolumeBoundToClaim(v, claim);
    const refOk = ref && ref.name === claim.metadata.name && ref.namespace === claim.metadata.namespace && ref.uid === claim.metadata.uid;
    if (!refOk || (byController && v.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined)) {
      const next = deepCopy(v);
      next.spec = {
        ...(next.spec ?? {}),
        claimRef: {
          kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name,
          uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion,
        },
      };
      if (byController) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: ANN_YES };
      v = await client.update<PersistentVolumeObject>(PERSISTENT_VOLUMES, next, { signal });
    }
    v = await setVolumePhase(v, 'Bound');

    let c = claim;
    const ann = c.metadata.annotations ?? {};
    if (c.spec?.volumeName !== v.metadata.name || ann[ANN_BIND_COMPLETED] === undefined) {
      const next = deepCopy(c);
      const annotations = { ...(next.metadata.annotations ?? {}) };
      if (next.spec?.volumeName !== v.metadata.name) {
        next.spec = { ...(next.spec ?? {}), volumeName: v.metadata.name };
        annotations[ANN_BOUND_BY_CONTROLLER] = ANN_YES;
      }
      annotations[ANN_BIND_COMPLETED] = ANN_YES;
      next.metadata.annotations = annotations;
      c = await updateClaim(next);
    }
    await setClaimPhase(c, 'Bound', v);
  }

  // ---- claims ----

  function storageClass(name: string): StorageClassObject | undefined {
    return name ? scInf.store.get(name) : undefined;
  }

  async function provision(claim: ClaimObject, cls: StorageClassObject | undefined, className: string): Promise<void> {
    if (!cls) {
      claimEvent(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      await setClaimPhase(claim, 'Pending', undefined);
      return;
    }
    const provisioner = cls.provisioner ?? '';
    let c = claim;
    const ann = c.metadata.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] !== provisioner || ann[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      const next = deepCopy(c);
      next.metadata.annotations = { ...ann, [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner };
      c = await updateClaim(next);
    }
    claimEvent(c, 'Normal', 'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that your external provisioner is running and correctly registered.`);
    c = await setClaimPhase(c, 'Pending', undefined);
    if (provisioner !== LOCAL_PATH_PROVISIONER) return;

    // The built-in provisioner (the part rancher's local-path-provisioner plays).
    const node = c.metadata.annotations?.[ANN_SELECTED_NODE];
    if (!node) {
      eventOnce(provisionerRecorder, c, 'PersistentVolumeClaim', 'Warning', 'ProvisioningFailed',
        `failed to provision volume with StorageClass "${className}": configuration error, no node was specified`);
      return;
    }
    const name = provisionedVolumeName(c);
    if (pvInf.store.get(name)) return;
    const claimKey = `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
    eventOnce(provisionerRecorder, c, 'PersistentVolumeClaim', 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimKey}"`);
    try {
      await client.create(PERSISTENT_VOLUMES, newLocalPathVolume(c, cls, node, prefix), { signal });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        eventOnce(provisionerRecorder, c, 'PersistentVolumeClaim', 'Warning', 'ProvisioningFailed',
          `failed to provision volume with StorageClass "${className}": ${errorText(err)}`);
        throw err;
      }
    }
    eventOnce(provisionerRecorder, c, 'PersistentVolumeClaim', 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  async function syncUnboundClaim(claim: ClaimObject): Promise<void> {
    if (claim.spec?.storageClassName === undefined && claim.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] === undefined) {
      const def = pickDefaultClass(scInf.store.list());
      if (def?.metadata.name) {
        const next = deepCopy(claim);
        next.spec = { ...(next.spec ?? {}), storageClassName: def.metadata.name };
        await updateClaim(next);
        return;
      }
    }
    const volumeName = claim.spec?.volumeName;
    if (!volumeName) {
      const className = claimClass(claim);
      const cls = storageClass(className);
      const delayBinding = cls?.volumeBindingMode === 'WaitForFirstConsumer';
      const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
      const node = selected ? nodeInf.store.get(selected) ?? { metadata: { name: selected, labels: { 'kubernetes.io/hostname': selected } } } : undefined;
      const volume = findBestMatchForClaim(claim, pvInf.store.list(), { delayBinding, node });
      if (volume) {
        await bind(volume, claim);
        return;
      }
      if (delayBinding && !selected) {
        claimEvent(claim, 'Normal', 'WaitForFirstConsumer', MSG_WAIT_FOR_FIRST_CONSUMER);
        await setClaimPhase(claim, 'Pending', undefined);
        return;
      }
      if (className) {
        await provision(claim, cls, className);
        return;
      }
      claimEvent(claim, 'Normal', 'FailedBinding', MSG_NO_VOLUME_NO_CLASS);
      await setClaimPhase(claim, 'Pending', undefined);
      return;
    }
    const volume = pvInf.store.get(volumeName);
    if (!volume) {
      await setClaimPhase(claim, 'Pending', undefined);
      return;
    }
    if (!volume.spec?.claimRef) {
      const why = volumeSatisfiesClaim(volume, claim);
      if (why) {
        claimEvent(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${why}`);
        await setClaimPhase(claim, 'Pending', undefined);
        return;
      }
      await bind(volume, claim);
      return;
    }
    if (isVolumeBoundToClaim(volume, claim)) {
      await bind(volume, claim);
      return;
    }
    claimEvent(claim, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
    await setClaimPhase(claim, 'Pending', undefined);
  }

  async function syncBoundClaim(claim: ClaimObject): Promise<void> {
    const volumeName = claim.spec?.volumeName;
    if (!volumeName) {
      claimEvent(claim, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      await setClaimPhase(claim, 'Lost', undefined);
      return;
    }
    const volume = pvInf.store.get(volumeName);
    if (!volume) {
      claimEvent(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      await setClaimPhase(claim, 'Lost', undefined);
      return;
    }
    const ref = volume.spec?.claimRef;
    if (!ref || ref.uid === claim.metadata.uid) {
      await bind(volume, claim);
      return;
    }
    claimEvent(claim, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    await setClaimPhase(claim, 'Lost', undefined);
  }

  async function syncClaim(key: string): Promise<void> {
    const cached = pvcInf.store.get(key);
    if (!cached) return;
    const claim = deepCopy(cached);
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) await syncUnboundClaim(claim);
    else await syncBoundClaim(claim);
  }

  // ---- volumes ----

  /** The claim a volume's claimRef names, from the cache or (missing there) a live read. */
  async function claimOf(volume: PersistentVolumeObject): Promise<ClaimObject | undefined> {
    const ref = volume.spec?.claimRef;
    if (!ref?.name) return undefined;
    const key = `${ref.namespace ?? ''}/${ref.name}`;
    let claim = pvcInf.store.get(key);
    if (!claim) {
      try {
        claim = await client.get<ClaimObject>(PERSISTENT_VOLUME_CLAIMS, ref.name, { namespace: ref.namespace, signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return undefined;
      }
    }
    return claim.metadata.uid === ref.uid ? claim : undefined;
  }

  async function reclaim(volume: PersistentVolumeObject): Promise<void> {
    const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    const name = volume.metadata.name ?? '';
    if (policy === 'Recycle') {
      volumeEvent(volume, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
      await setVolumePhase(volume, 'Failed', 'No recycler plugin found for the volume!');
      return;
    }
    const provisioner = volume.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED];
    if (provisioner === LOCAL_PATH_PROVISIONER) {
      try {
        await client.delete(PERSISTENT_VOLUMES, name, { signal, preconditions: volume.metadata.uid ? { uid: volume.metadata.uid } : undefined });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    // Another provisioner deletes its own volumes; without one nothing can.
    if (provisioner) return;
    const msg = `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`;
    volumeEvent(volume, 'Warning', 'VolumeFailedDelete', msg);
    await setVolumePhase(volume, 'Failed', msg);
  }

  async function unbindVolume(volume: PersistentVolumeObject): Promise<void> {
    const next = deepCopy(volume);
    const ref = next.spec?.claimRef;
    const annotations = { ...(next.metadata.annotations ?? {}) };
    const byController = annotations[ANN_BOUND_BY_CONTROLLER] !== undefined;
    delete annotations[ANN_BOUND_BY_CONTROLLER];
    next.metadata.annotations = annotations;
    if (byController || !ref) {
      if (next.spec) delete next.spec.claimRef;
    } else {
      next.spec = { ...(next.spec ?? {}), claimRef: { ...ref, uid: '' } };
      delete next.spec.claimRef?.uid;
    }
    const updated = await client.update<PersistentVolumeObject>(PERSISTENT_VOLUMES, next, { signal });
    await setVolumePhase(updated, 'Available');
  }

  async function syncVolume(name: string): Promise<void> {
    const cached = pvInf.store.get(name);
    if (!cached) return;
    const volume = deepCopy(cached);
    const ref = volume.spec?.claimRef;
    if (!ref) {
      await setVolumePhase(volume, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by name by the user: stays Available until the claim binds.
      await setVolumePhase(volume, 'Available');
      if (ref.name) claimQueue.add(`${ref.namespace ?? ''}/${ref.name}`);
      return;
    }
    const claim = await claimOf(volume);
    if (!claim) {
      let v = volume;
      if (v.status?.phase !== 'Released' && v.status?.phase !== 'Failed') v = await setVolumePhase(v, 'Released');
      if (v.status?.phase === 'Released') await reclaim(v);
      return;
    }
    if (!claim.spec?.volumeName) {
      enqueueClaim(claim);
      return;
    }
    if (claim.spec.volumeName === name) {
      await setVolumePhase(volume, 'Bound');
      return;
    }
    // The claim is bound to another volume.
    if (volume.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      let v = volume;
      if (v.status?.phase !== 'Released' && v.status?.phase !== 'Failed') v = await setVolumePhase(v, 'Released');
      if (v.status?.phase === 'Released') await reclaim(v);
      return;
    }
    await unbindVolume(volume);
  }

  const done = (async (): Promise<void> => {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => {
      claimQueue.shutDown();
      volumeQueue.shutDown();
    }, { once: true });
    const synced = await Promise.all([pvInf, pvcInf, scInf, nodeInf].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) {
      claimQueue.shutDown();
      volumeQueue.shutDown();
      return;
    }
    const resync = setInterval(() => {
      for (const v of pvInf.store.list()) enqueueVolume(v);
      for (const c of pvcInf.store.list()) enqueueClaim(c);
    }, opts.resyncMs ?? RESYNC_MS);
    resync.unref?.();
    const onError = (what: string) => (key: string, err: unknown): void => {
      if (!signal.aborted) logger.debug({ [what]: key, err: errorText(err) }, 'persistentvolume sync failed; requeued');
    };
    try {
      await Promise.all([
        runWorkers(claimQueue, syncClaim, { workers: 1, onError: onError('claim') }),
        runWorkers(volumeQueue, syncVolume, { workers: 1, onError: onError('volume') }),
      ]);
    } finally {
      clearInterval(resync);
    }
  })();

  return { done, syncClaim, syncVolume };
}

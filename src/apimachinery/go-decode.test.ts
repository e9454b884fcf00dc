import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goUnmarshalError } from './go-decode.js';

const DEPLOY = 'io.k8s.api.apps.v1.Deployment';

test('upstream wording for the famous replicas mistake', () => {
  assert.equal(goUnmarshalError({ spec: { replicas: '3' } }, DEPLOY),
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
});

test('map values, list items and struct-typed fields', () => {
  assert.equal(goUnmarshalError({ data: { a: 1 } }, 'io.k8s.api.core.v1.ConfigMap'),
    'json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
  assert.equal(goUnmarshalError({ spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] } } } }, DEPLOY),
    'json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
  assert.equal(goUnmarshalError({ spec: 'x' }, DEPLOY),
    'json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec');
  assert.equal(goUnmarshalError({ spec: { template: { spec: { containers: {} } } } }, DEPLOY),
    'json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container');
  assert.equal(goUnmarshalError({ metadata: { labels: { a: true } } }, DEPLOY),
    'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string');
  assert.equal(goUnmarshalError({ spec: { replicas: 1.5 } }, DEPLOY),
    'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
});

test('well-typed bodies, nulls and custom decoders pass', () => {
  assert.equal(goUnmarshalError({ spec: { replicas: 2, strategy: { rollingUpdate: { maxSurge: 1 } } } }, DEPLOY), undefined);
  assert.equal(goUnmarshalError({ spec: { replicas: null }, metadata: { creationTimestamp: null } }, DEPLOY), undefined);
  assert.equal(goUnmarshalError({ unknown: 5 }, DEPLOY), undefined);
});

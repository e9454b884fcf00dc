import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isDNS1123Subdomain, isDNS1123Label, isQualifiedName, isValidLabelValue, isValidPathSegmentName,
  isConfigMapKey, isDNS1035Label, isValidPortName, isValidIP, isValidCIDR, isValidPortNum,
} from './index.js';
import { validateObjectMeta, validateObjectMetaUpdate, validateAnnotations } from './object-meta.js';
import { validateLabelSelector } from './label-selector.js';
import { fieldErrorText } from '../errors.js';

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('string validators', () => {
  const cases: { name: string; fn: (s: string) => string[]; input: string; want: string[] }[] = [
    { name: 'subdomain ok', fn: isDNS1123Subdomain, input: 'example.com', want: [] },
    { name: 'subdomain upper', fn: isDNS1123Subdomain, input: 'Example', want: [SUBDOMAIN_MSG] },
    { name: 'subdomain too long', fn: isDNS1123Subdomain, input: 'a'.repeat(254), want: ['must be no more than 253 characters'] },
    { name: 'label dots', fn: isDNS1123Label, input: 'a.b', want: ['must not contain dots'] },
    { name: 'label bad', fn: isDNS1123Label, input: 'A_b', want: ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"] },
    { name: 'dns1035 digit start', fn: isDNS1035Label, input: '1abc', want: ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"] },
    { name: 'qualified ok', fn: isQualifiedName, input: 'example.com/My_name', want: [] },
    { name: 'qualified empty prefix', fn: isQualifiedName, input: '/a', want: ['prefix part must be non-empty'] },
    { name: 'qualified two slashes', fn: isQualifiedName, input: 'a/b/c', want: ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"] },
    { name: 'qualified bad name', fn: isQualifiedName, input: 'a@', want: ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"] },
    { name: 'label value empty ok', fn: isValidLabelValue, input: '', want: [] },
    { name: 'label value bad', fn: isValidLabelValue, input: '-x', want: ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"] },
    { name: 'path segment dotdot', fn: isValidPathSegmentName, input: '..', want: ["may not be '..'"] },
    { name: 'path segment slash', fn: isValidPathSegmentName, input: 'a/b%', want: ["may not contain '/'", "may not contain '%'"] },
    { name: 'configmap key dotdot', fn: isConfigMapKey, input: '..a', want: ["must not start with '..'"] },
    { name: 'port name', fn: isValidPortName, input: 'http--x', want: ['must not contain consecutive hyphens'] },
    { name: 'ip', fn: isValidIP, input: '10.0.0.300', want: ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
    { name: 'cidr', fn: isValidCIDR, input: '10.0.0.0/33', want: ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(c.fn(c.input), c.want));
  it('port numbers', () => {
    assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortNum(80), []);
  });
});

describe('validateObjectMeta', () => {
  it('requires name', () => {
    const errs = validateObjectMeta({ metadata: { namespace: 'default' } }, { namespaced: true });
    assert.deepEqual(errs.map(fieldErrorText), ['metadata.name: Required value: name or generateName is required']);
  });
  it('validates name, namespace, labels, annotations, finalizers, ownerReferences', () => {
    const errs = validateObjectMeta({
      metadata: {
        name: 'Bad', namespace: 'ns',
        labels: { 'a/b/c': 'ok', good: '-bad' },
        annotations: { '@': 'x' },
        finalizers: ['orphan', 'foregroundDeletion'],
        ownerReferences: [{ apiVersion: '', kind: 'X', name: 'n', uid: 'u' }],
      },
    }, { namespaced: false });
    const fields = errs.map((e) => e.field);
    assert.deepEqual(fields, [
      'metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.labels', 'metadata.annotations',
      'metadata.ownerReferences.apiVersion', 'metadata.finalizers',
    ]);
    assert.equal(fieldErrorText(errs[1]!), 'metadata.namespace: Forbidden: not allowed on this type');
  });
  it('label name validation', () => {
    assert.deepEqual(validateObjectMeta({ metadata: { name: 'ns' } }, { namespaced: false, nameValidation: 'label' }), []);
    assert.equal(validateObjectMeta({ metadata: { name: 'a.b' } }, { namespaced: false, nameValidation: 'label' })[0]?.detail, 'must not contain dots');
  });
  it('generateName trailing dash is allowed', () => {
    assert.deepEqual(validateObjectMeta({ metadata: { name: 'web-abcde', generateName: 'web-' } }, { namespaced: false }), []);
  });
  it('annotation size', () => {
    const errs = validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations');
    assert.equal(fieldErrorText(errs[0]!), 'metadata.annotations: Too long: may not be more than 262144 bytes');
  });
});

describe('validateObjectMetaUpdate', () => {
  it('immutable fields', () => {
    const old = { metadata: { name: 'a', namespace: 'n', uid: 'u1', resourceVersion: '1', creationTimestamp: 't' } };
    const errs = validateObjectMetaUpdate({ metadata: { name: 'b', namespace: 'n', uid: 'u2', resourceVersion: '1', creationTimestamp: 't' } }, old);
    assert.deepEqual(errs.map(fieldErrorText), [
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });
  it('no new finalizers while deleting', () => {
    const old = { metadata: { name: 'a', resourceVersion: '1', deletionTimestamp: 't', finalizers: ['x/a'] } };
    const errs = validateObjectMetaUpdate({ metadata: { name: 'a', resourceVersion: '1', deletionTimestamp: 't', finalizers: ['x/a', 'x/b'] } }, old);
    assert.equal(fieldErrorText(errs[0]!), 'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/b"}');
  });
});

describe('validateLabelSelector', () => {
  it('reports operator and values problems', () => {
    const errs = validateLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Bad' }] }, 'spec.selector');
    assert.deepEqual(errs.map(fieldErrorText), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector.matchExpressions[1].operator: Invalid value: "Bad": not a valid selector operator',
    ]);
  });
});

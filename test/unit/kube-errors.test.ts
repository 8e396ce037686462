import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/adapters/kube.js';
import { ExitCode } from '../../src/errors.js';

describe('KubeApiError', () => {
  it('a create refused in a namespace being deleted says so, with no permission to ask for', () => {
    // The API server's words (NamespaceLifecycle admission), as a run met them on the testbed.
    const reason =
      'leases.coordination.k8s.io "mesh-lock" is forbidden: unable to create new content in namespace istio-system because it is being terminated';
    const error = new KubeApiError(403, 'POST', '/apis/coordination.k8s.io/v1/namespaces/istio-system/leases', reason);
    expect(error.message).toBe(
      'namespace istio-system is being deleted: nothing can be created in it until it is gone ' +
        '(POST /apis/coordination.k8s.io/v1/namespaces/istio-system/leases)',
    );
    expect(error.hint).toMatch(/^wait until `kubectl get namespace istio-system` says NotFound, then re-run/);
    expect(error.exitCode).toBe(ExitCode.preflight);
  });

  it('a 403 of RBAC names the permission and how to get it', () => {
    const reason =
      'leases.coordination.k8s.io is forbidden: User "system:serviceaccount:default:ci" cannot create resource "leases" ' +
      'in API group "coordination.k8s.io" in the namespace "istio-system"';
    const error = new KubeApiError(403, 'POST', '/apis/coordination.k8s.io/v1/namespaces/istio-system/leases', reason);
    expect(error.message).toBe(
      'forbidden: cannot create leases.coordination.k8s.io in istio-system (POST /apis/coordination.k8s.io/v1/namespaces/istio-system/leases)',
    );
    expect(error.hint).toBe(
      'use a context allowed to create leases.coordination.k8s.io in istio-system, or ask for that permission (kubectl auth can-i)',
    );
    expect(error.exitCode).toBe(ExitCode.preflight);
  });
});

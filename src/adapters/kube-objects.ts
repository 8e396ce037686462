import { KubeApiError, type KubeGateway } from './kube.js';

/** An object as the API knows it: its group version, kind, name and (when namespaced) namespace. */
export interface ObjectAddress {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/**
 * Kind -> REST path, from the API server's own discovery (one request per group version, cached
 * for the run), so any kind a manifest holds is written where the server serves it.
 */
export class ObjectPaths {
  private readonly groups = new Map<string, Promise<ApiResource[]>>();

  constructor(private readonly kube: KubeGateway) {}

  private resources(apiVersion: string): Promise<ApiResource[]> {
    let found = this.groups.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.kube
        .get<{ resources: ApiResource[] }>(path)
        .then((list) => (list?.resources ?? []).filter((r) => !r.name.includes('/')));
      this.groups.set(apiVersion, found);
    }
    return found;
  }

  /** Whether the kind is namespaced; a kind the server does not serve is an error naming it. */
  async namespaced(o: Pick<ObjectAddress, 'apiVersion' | 'kind'>): Promise<boolean> {
    return (await this.resource(o)).namespaced;
  }

  private async resource(o: Pick<ObjectAddress, 'apiVersion' | 'kind'>): Promise<ApiResource> {
    const resource = (await this.resources(o.apiVersion)).find((r) => r.kind === o.kind);
    if (!resource) throw new KubeApiError(404, 'GET', `/${o.apiVersion}`, `the server does not serve ${o.kind} (${o.apiVersion})`);
    return resource;
  }

  async path(o: ObjectAddress): Promise<string> {
    const resource = await this.resource(o);
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const scope = resource.namespaced ? `/namespaces/${encodeURIComponent(o.namespace ?? 'default')}` : '';
    return `${base}${scope}/${resource.name}/${encodeURIComponent(o.name)}`;
  }
}

/**
 * Server-side apply under mesh's field manager: the server merges, and a field another manager
 * owns is a conflict (409) reported as such, never overwritten unless `force` (--force-conflicts).
 */
export async function serverSideApply(
  kube: KubeGateway,
  paths: ObjectPaths,
  address: ObjectAddress,
  body: object,
  options: { fieldManager: string; force?: boolean },
): Promise<void> {
  const query = `fieldManager=${encodeURIComponent(options.fieldManager)}${options.force ? '&force=true' : ''}`;
  await kube.request('PATCH', `${await paths.path(address)}?${query}`, body, 'application/apply-patch+yaml');
}

/** Deletes an object; false when it was already gone (deletes stay idempotent). */
export async function deleteObject(kube: KubeGateway, paths: ObjectPaths, o: ObjectAddress): Promise<boolean> {
  try {
    return await kube.remove(await paths.path(o));
  } catch (error) {
    // A kind the server no longer serves holds no object to delete.
    if (error instanceof KubeApiError && error.status === 404) return false;
    throw error;
  }
}

/**
 * What `mesh dashboard <name>` opens: the addon's pod (by the labels Istio's sample manifests give
 * it), the port its UI listens on, and the path it serves under, as `istioctl dashboard` has them;
 * `envoy` and `controlz` are a proxy's admin page and istiod's ControlZ.
 */
export interface Dashboard {
  selector: string;
  port: number;
  path: string;
  /** The addon that brings it, for the hint when it is missing. */
  addon?: string;
}

export const DASHBOARDS: Readonly<Record<string, Dashboard>> = {
  kiali: { selector: 'app=kiali', port: 20001, path: '/kiali', addon: 'kiali' },
  grafana: { selector: 'app.kubernetes.io/name=grafana', port: 3000, path: '/', addon: 'grafana' },
  prometheus: { selector: 'app.kubernetes.io/name=prometheus', port: 9090, path: '/', addon: 'prometheus' },
  jaeger: { selector: 'app=jaeger', port: 16686, path: '/', addon: 'jaeger' },
  zipkin: { selector: 'app=zipkin', port: 9411, path: '/zipkin/', addon: 'zipkin' },
};
export const POD_DASHBOARDS: Readonly<Record<string, { port: number; path: string }>> = {
  envoy: { port: 15000, path: '/' },
  controlz: { port: 9876, path: '/' },
};

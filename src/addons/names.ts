/* Kept apart from catalog.ts (which parses YAML) so the CLI's help can name addons without loading a parser. */
/**
 * The addons an Istio release ships as sample manifests (samples/addons), by the name users call
 * them. mesh applies the release's own files, never a copy of its own: the release directory
 * matching the installed Istio decides what an addon is.
 */
export const ADDON_FILES: Readonly<Record<string, string>> = {
  prometheus: 'samples/addons/prometheus.yaml',
  grafana: 'samples/addons/grafana.yaml',
  kiali: 'samples/addons/kiali.yaml',
  jaeger: 'samples/addons/jaeger.yaml',
  zipkin: 'samples/addons/extras/zipkin.yaml',
  loki: 'samples/addons/loki.yaml',
};
export const ADDON_NAMES = Object.keys(ADDON_FILES);

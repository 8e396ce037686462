import type { Tree } from '../profiles/merge.js';

/**
 * Istio 1.31's chart profiles (manifests/helm-profiles/*.yaml, each chart's files/profile-*.yaml):
 * the values a chart puts under the user's own when `profile`, `compatibilityVersion` or
 * `platform` names one (the charts' zzz_profile.yaml). Since Istio 1.24 a named profile's settings
 * (demo's trace sampling and access log, ambient's HBONE) live here, not in the IstioOperator
 * profiles, so `profile show|diff --effective` reads them to say what a profile really sets. A CLI
 * test holds this copy against the testbed's Istio source, file for file.
 */
export const ISTIO_1_31_CHART_PROFILES: Record<string, Tree> = {
  ambient: {
    meshConfig: {
      defaultConfig: {
        proxyMetadata: {
          ISTIO_META_ENABLE_HBONE: 'true',
        },
      },
      serviceScopeConfigs: [
        {
          servicesSelector: {
            matchExpressions: [
              {
                key: 'istio.io/global',
                operator: 'In',
                values: ['true'],
              },
            ],
          },
          scope: 'GLOBAL',
        },
      ],
    },
    global: {
      variant: 'distroless',
    },
    pilot: {
      env: {
        PILOT_ENABLE_AMBIENT: 'true',
      },
    },
    cni: {
      ambient: {
        enabled: true,
      },
    },
  },
  'compatibility-version-1.25': {
    pilot: {
      env: {
        ENABLE_NATIVE_SIDECARS: 'false',
        DISABLE_SHADOW_HOST_SUFFIX: 'false',
        PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY: 'false',
        DISABLE_TRACK_REMAINING_CB_METRICS: 'false',
        PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
    cni: {
      ambient: {
        reconcileIptablesOnStartup: false,
      },
    },
    ambient: {
      shareHostNetworkNamespace: true,
    },
  },
  'compatibility-version-1.26': {
    pilot: {
      env: {
        ENABLE_NATIVE_SIDECARS: 'false',
        DISABLE_SHADOW_HOST_SUFFIX: 'false',
        PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY: 'false',
        DISABLE_TRACK_REMAINING_CB_METRICS: 'false',
        PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
    cni: {
      ambient: {
        reconcileIptablesOnStartup: false,
      },
    },
  },
  'compatibility-version-1.27': {
    pilot: {
      env: {
        DISABLE_SHADOW_HOST_SUFFIX: 'false',
        PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY: 'false',
        DISABLE_TRACK_REMAINING_CB_METRICS: 'false',
        PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
    cni: {
      ambient: {
        reconcileIptablesOnStartup: false,
      },
    },
  },
  'compatibility-version-1.28': {
    pilot: {
      env: {
        DISABLE_TRACK_REMAINING_CB_METRICS: 'false',
        PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
    cni: {
      ambient: {
        reconcileIptablesOnStartup: false,
      },
    },
  },
  'compatibility-version-1.29': {
    pilot: {
      env: {
        PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE: 'false',
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
  },
  'compatibility-version-1.30': {
    pilot: {
      env: {
        PILOT_ENABLE_STRICT_GATEWAY_MERGING: 'false',
        PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY: 'false',
        PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS: 'false',
      },
    },
  },
  demo: {
    meshConfig: {
      accessLogFile: '/dev/stdout',
      extensionProviders: [
        {
          name: 'otel',
          envoyOtelAls: {
            service: 'opentelemetry-collector.observability.svc.cluster.local',
            port: 4317,
          },
        },
        {
          name: 'skywalking',
          skywalking: {
            service: 'tracing.istio-system.svc.cluster.local',
            port: 11800,
          },
        },
        {
          name: 'otel-tracing',
          opentelemetry: {
            port: 4317,
            service: 'opentelemetry-collector.observability.svc.cluster.local',
          },
        },
        {
          name: 'jaeger',
          opentelemetry: {
            port: 4317,
            service: 'jaeger-collector.istio-system.svc.cluster.local',
          },
        },
      ],
    },
    cni: {
      resources: {
        requests: {
          cpu: '10m',
          memory: '40Mi',
        },
      },
    },
    ztunnel: {
      resources: {
        requests: {
          cpu: '10m',
          memory: '40Mi',
        },
      },
    },
    global: {
      proxy: {
        resources: {
          requests: {
            cpu: '10m',
            memory: '40Mi',
          },
        },
      },
      waypoint: {
        resources: {
          requests: {
            cpu: '10m',
            memory: '40Mi',
          },
        },
      },
    },
    pilot: {
      autoscaleEnabled: false,
      traceSampling: 100,
      resources: {
        requests: {
          cpu: '10m',
          memory: '100Mi',
        },
      },
    },
    gateways: {
      'istio-egressgateway': {
        autoscaleEnabled: false,
        resources: {
          requests: {
            cpu: '10m',
            memory: '40Mi',
          },
        },
      },
      'istio-ingressgateway': {
        autoscaleEnabled: false,
        ports: [
          {
            port: 15021,
            targetPort: 15021,
            name: 'status-port',
          },
          {
            port: 80,
            targetPort: 8080,
            name: 'http2',
          },
          {
            port: 443,
            targetPort: 8443,
            name: 'https',
          },
          {
            port: 31400,
            targetPort: 31400,
            name: 'tcp',
          },
          {
            port: 15443,
            targetPort: 15443,
            name: 'tls',
          },
        ],
        resources: {
          requests: {
            cpu: '10m',
            memory: '40Mi',
          },
        },
      },
    },
  },
  'platform-gke': {
    cni: {
      cniBinDir: '',
      resourceQuotas: {
        enabled: true,
      },
    },
    resourceQuotas: {
      enabled: true,
    },
  },
  'platform-k3d': {
    cni: {
      cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d',
      cniBinDir: '/bin',
    },
  },
  'platform-k3s': {
    cni: {
      cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d',
      cniBinDir: '/var/lib/rancher/k3s/data/cni',
    },
  },
  'platform-microk8s': {
    cni: {
      cniConfDir: '/var/snap/microk8s/current/args/cni-network',
      cniBinDir: '/var/snap/microk8s/current/opt/cni/bin',
    },
  },
  'platform-minikube': {
    cni: {
      cniNetnsDir: '/var/run/docker/netns',
    },
  },
  'platform-openshift': {
    cni: {
      cniBinDir: '/var/lib/cni/bin',
      cniConfDir: '/etc/cni/multus/net.d',
      chained: false,
      cniConfFileName: 'istio-cni.conf',
      provider: 'multus',
    },
    pilot: {
      cni: {
        enabled: true,
        provider: 'multus',
      },
      terminationMessagePolicy: 'FallbackToLogsOnError',
    },
    seLinuxOptions: {
      type: 'spc_t',
    },
    trustedZtunnelNamespace: 'kube-system',
  },
  preview: {
    meshConfig: {
      defaultConfig: {
        proxyMetadata: {
          ISTIO_META_DNS_CAPTURE: 'true',
        },
      },
    },
  },
  remote: {
    istiodRemote: {
      enabled: true,
    },
    configMap: false,
    telemetry: {
      enabled: false,
    },
    global: {
      omitSidecarInjectorConfigMap: true,
    },
  },
  stable: {
    experimental: {
      stableValidationPolicy: true,
    },
  },
};

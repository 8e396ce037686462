import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, User } from '@kubernetes/client-node';
import { CliError, ExitCode } from '../errors.js';

/**
 * Connection and credential failures, each said as what it is, with the fix for that cause:
 * a certificate the kubeconfig does not trust is not "the cluster is down". All exit 4. Nothing
 * here prints a token, a key or a certificate's contents (subjects and dates only).
 */
export interface Where {
  context: string;
  server: string;
  cluster: Cluster;
  user?: User;
}

/** How the API server's NamespaceLifecycle admission refuses a create in a namespace being deleted. */
export const NAMESPACE_DELETING = /unable to create new content in namespace (\S+) because it is being terminated/;

/** A namespace being deleted, in which nothing can be created until it is gone: what it is, and what to do. */
export const namespaceDeleting = (namespace: string) =>
  `namespace ${namespace} is being deleted: nothing can be created in it until it is gone`;
export const namespaceDeletingHint = (namespace: string) =>
  `wait until \`kubectl get namespace ${namespace}\` says NotFound, then re-run ` +
  '(one that stays Terminating names what holds it in its status.conditions)';

const at = (w: Where) => `context ${w.context} (server ${w.server})`;
const unreachable = (message: string, hint: string) => new CliError(message, ExitCode.unreachable, hint);

const TLS_TRUST = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** A certificate from a kubeconfig field (file or inline data), described without its contents. */
function certificate(file: string | undefined, data: string | undefined): { origin: string; cert?: X509Certificate } {
  try {
    if (data) return { origin: 'inline data', cert: new X509Certificate(Buffer.from(data, 'base64')) };
    if (file) return { origin: file, cert: new X509Certificate(readFileSync(file)) };
  } catch {
    return { origin: file ?? 'inline data' };
  }
  return { origin: 'none (the system trust store)' };
}

const subject = (cert: X509Certificate) => cert.subject.replace(/\n/g, ', ');

/** Which CA the kubeconfig gave for this cluster, as a user can recognise it. */
export function describeCa(cluster: Cluster): string {
  if (cluster.skipTLSVerify) return 'none (insecure-skip-tls-verify)';
  const { origin, cert } = certificate(cluster.caFile, cluster.caData);
  return cert ? `${origin}: ${subject(cert)}, valid until ${cert.validTo}` : origin;
}

/** A network or TLS error from Node, as the one-line error a user can act on. */
export function connectionError(error: NodeJS.ErrnoException, w: Where): CliError {
  const code = error.code ?? '';
  if (TLS_TRUST.has(code))
    return unreachable(
      `cannot trust the API server's certificate: ${at(w)}: ${code}; the kubeconfig's certificate-authority is ${describeCa(w.cluster)}`,
      "the server's certificate is not signed by that CA: get a fresh kubeconfig for this cluster (or fix certificate-authority)",
    );
  if (code === 'CERT_HAS_EXPIRED')
    return unreachable(
      `the API server's certificate has expired: ${at(w)}`,
      "the cluster's serving certificate must be renewed by its operator",
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return unreachable(
      `the API server's certificate does not name the host ${new URL(w.server).hostname}: ${at(w)}`,
      'use the server address the certificate was issued for (kubectl config view), or get a fresh kubeconfig',
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return unreachable(
      `cannot resolve the API server's host ${new URL(w.server).hostname}: ${at(w)}: ${code}`,
      'check the server name in the kubeconfig, your DNS, and any VPN the cluster needs',
    );
  if (code === 'ETIMEDOUT')
    return unreachable(
      `the API server did not answer in time: ${at(w)}`,
      'check the network path to the cluster (firewall, VPN, proxy) and that the server address is right',
    );
  if (code === 'ECONNREFUSED')
    return unreachable(
      `cluster unreachable: ${at(w)}: ECONNREFUSED`,
      'nothing listens at that address: check that the cluster is running and that --kubeconfig/--context point at it',
    );
  return unreachable(
    `cluster unreachable: ${at(w)}: ${code || error.message}`,
    'check that the cluster is running and that --kubeconfig/--context point at it',
  );
}

/** 401: the credentials were rejected; an expired client certificate is named as such. */
export function rejectedCredentials(w: Where): CliError {
  const { cert } = certificate(w.user?.certFile, w.user?.certData);
  if (cert && Date.parse(cert.validTo) < Date.now())
    return unreachable(
      `the client certificate of user ${w.user?.name ?? '?'} expired on ${cert.validTo}: ${at(w)} rejects it (401)`,
      'get a fresh kubeconfig (or renew the certificate) for this cluster',
    );
  return unreachable(
    `the API server rejected the credentials of user ${w.user?.name ?? '?'}: ${at(w)} (401 Unauthorized)`,
    'the token or certificate is expired or revoked: refresh the kubeconfig ' +
      '(e.g. `gcloud container clusters get-credentials`, `aws eks update-kubeconfig`)',
  );
}

/** Tokens, bearer values and PEM blocks out of text that is about to be printed. */
export function redactCredentials(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '<redacted PEM>')
    .replace(/\b(bearer\s+)\S+/gi, '$1<redacted>')
    .replace(/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g, '<redacted token>')
    .replace(/("?(?:token|access_token|id_token|password|secret)"?\s*[:=]\s*)"?[^\s",}]+"?/gi, '$1<redacted>');
}

/** The exec credential plugin (aws, gcloud, kubelogin ...) failed: say which, with its own words. */
export function credentialPluginError(error: Error, w: Where): CliError {
  const exec = w.user?.exec as { command?: string; args?: string[] } | undefined;
  const command = [exec?.command, ...(exec?.args ?? [])].filter(Boolean).join(' ');
  const said = redactCredentials(error.message).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  return unreachable(
    `the kubeconfig's credential plugin \`${exec?.command ?? '?'}\` for user ${w.user?.name ?? '?'} ` +
      `${missing ? 'is not installed' : 'failed'}${said && !missing ? `: ${said}` : ''}`,
    missing
      ? `install ${exec?.command ?? 'it'} or fix users[].user.exec in the kubeconfig`
      : `run \`${command}\` yourself to see why (logged in? expired session?)`,
  );
}

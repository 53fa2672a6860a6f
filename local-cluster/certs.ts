import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of the cluster's PKI, all PEM. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly tokenFile: string;
  readonly adminToken: string;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: error });
  }
}

/**
 * Makes a throw-away CA, a serving certificate for the apiserver (127.0.0.1, localhost and the in-cluster
 * names), a service-account key pair (Node crypto) and a static token file with one admin in
 * system:masters. Node's crypto cannot issue X.509 certificates, hence openssl (install-deps.sh).
 */
export function makePki(dir: string): ClusterPki {
  mkdirSync(dir, { recursive: true });
  const pki: ClusterPki = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    tokenFile: join(dir, 'tokens.csv'),
    adminToken: randomBytes(24).toString('hex'),
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=k-siss-local-ca',
    ],
    dir,
  );
  const san = [
    'IP:127.0.0.1',
    'IP:10.96.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'apiserver.key',
      '-out',
      'apiserver.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=kube-apiserver',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    ],
    dir,
  );
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(pki.serviceAccountKey, sa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(pki.serviceAccountPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(pki.tokenFile, `${pki.adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
  for (const file of [pki.caCert, pki.servingCert, pki.servingKey]) {
    if (!existsSync(file)) throw new Error(`makePki: ${file} was not written`);
  }
  return pki;
}

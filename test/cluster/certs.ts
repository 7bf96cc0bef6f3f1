// A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost, and (for
// client-certificate authentication) a client CA and a client certificate, made with node:crypto alone
// (ECDSA P-256, SHA-256), so HTTPS mode needs no openssl binary.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bitString, boolean, namedBits, octetString, oid, sequence, set, tagged, time, unsignedInteger, utf8String } from './der.js';

export interface TestCertificates {
  /** PEM of the CA certificate: goes into the kubeconfig as certificate-authority-data. */
  caCert: string;
  /** PEM of the server certificate, signed by the CA. */
  cert: string;
  /** PEM (PKCS#8) of the server's private key. */
  key: string;
}

export interface TestClientCertificate {
  /** PEM of the client CA: the server verifies client certificates against it. */
  caCert: string;
  /** PEM of the client certificate, signed by the client CA: client-certificate-data. */
  cert: string;
  /** PEM (PKCS#8) of the client's private key: client-key-data. */
  key: string;
  /** The certificate's subject: CN is the user name, O the groups, as a Kubernetes API server reads them. */
  commonName: string;
  organizations: readonly string[];
}

export interface ClientCertificateOptions {
  /** Default 'kubectl-inject-test'. */
  commonName?: string;
  /** Default ['system:masters']. */
  organizations?: readonly string[];
  /** Default 365. */
  validDays?: number;
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

interface CertificateSpec {
  /** The subject's distinguished name (distinguishedName()). */
  subject: Buffer;
  publicKey: KeyObject;
  /** The issuer's name and key identifier; omitted for a self-signed certificate. */
  issuer?: { name: Buffer; keyId: Buffer };
  signingKey: KeyObject;
  extensions: Buffer[];
  validDays: number;
}

/** O=<organization>, ..., CN=<commonName> (organizations first, as kubeadm's certificates have them). */
const distinguishedName = (commonName: string, organizations: readonly string[] = []): Buffer =>
  sequence(...organizations.map((o) => set(sequence(oid('2.5.4.10'), utf8String(o)))), set(sequence(oid('2.5.4.3'), utf8String(commonName))));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (an EC P-256 SPKI ends with the 65-byte point). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function certificate(spec: CertificateSpec): Buffer {
  const name = spec.subject;
  const ownKeyId = keyIdentifier(spec.publicKey);
  const issuer = spec.issuer ?? { name, keyId: ownKeyId };
  const now = Date.now();
  const tbs = sequence(
    tagged(0xa0, unsignedInteger(Buffer.from([2]))), // version 3
    unsignedInteger(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ECDSA_WITH_SHA256,
    issuer.name,
    sequence(time(new Date(now - 3_600_000)), time(new Date(now + spec.validDays * 86_400_000))),
    name,
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    tagged(
      0xa3,
      sequence(
        ...spec.extensions,
        extension('2.5.29.14', false, octetString(ownKeyId)),
        extension('2.5.29.35', false, sequence(tagged(0x80, issuer.keyId))),
      ),
    ),
  );
  return sequence(tbs, ECDSA_WITH_SHA256, bitString(sign('sha256', tbs, spec.signingKey)));
}

const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

interface CertificateAuthority {
  der: Buffer;
  privateKey: KeyObject;
  /** Issuer fields for the certificates it signs. */
  issuer: { name: Buffer; keyId: Buffer };
}

/** A self-signed CA certificate and its key. */
function certificateAuthority(commonName: string, validDays: number): CertificateAuthority {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = distinguishedName(commonName);
  const der = certificate({
    subject: name,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      extension('2.5.29.19', true, sequence(boolean(true))),
      extension('2.5.29.15', true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    ],
    validDays,
  });
  return { der, privateKey: ca.privateKey, issuer: { name, keyId: keyIdentifier(ca.publicKey) } };
}

/** A fresh CA and a server certificate (SANs: localhost, 127.0.0.1), valid for `validDays`. */
export function generateTestCertificates(validDays = 365): TestCertificates {
  const ca = certificateAuthority('kubectl-inject test cluster CA', validDays);
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serverDer = certificate({
    subject: distinguishedName('kubectl-inject test cluster'),
    publicKey: server.publicKey,
    issuer: ca.issuer,
    signingKey: ca.privateKey,
    extensions: [
      extension('2.5.29.19', true, sequence()),
      extension('2.5.29.15', true, namedBits([KEY_USAGE.digitalSignature])),
      extension('2.5.29.37', false, sequence(oid(SERVER_AUTH))),
      extension('2.5.29.17', false, sequence(tagged(0x82, Buffer.from('localhost', 'ascii')), tagged(0x87, Buffer.from([127, 0, 0, 1])))),
    ],
    validDays,
  });
  return {
    caCert: pem('CERTIFICATE', ca.der),
    cert: pem('CERTIFICATE', serverDer),
    key: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * A fresh client CA and one client certificate signed by it (extended key usage clientAuth), by
 * default CN=kubectl-inject-test, O=system:masters. Every call makes a new CA, so a second call gives a
 * certificate that a cluster trusting the first CA rejects.
 */
export function generateClientCertificate(options: ClientCertificateOptions = {}): TestClientCertificate {
  const commonName = options.commonName ?? 'kubectl-inject-test';
  const organizations = [...(options.organizations ?? ['system:masters'])];
  const validDays = options.validDays ?? 365;
  const ca = certificateAuthority('kubectl-inject test cluster client CA', validDays);
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const clientDer = certificate({
    subject: distinguishedName(commonName, organizations),
    publicKey: client.publicKey,
    issuer: ca.issuer,
    signingKey: ca.privateKey,
    extensions: [
      extension('2.5.29.19', true, sequence()),
      extension('2.5.29.15', true, namedBits([KEY_USAGE.digitalSignature])),
      extension('2.5.29.37', false, sequence(oid(CLIENT_AUTH))),
    ],
    validDays,
  });
  return {
    caCert: pem('CERTIFICATE', ca.der),
    cert: pem('CERTIFICATE', clientDer),
    key: client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    commonName,
    organizations,
  };
}

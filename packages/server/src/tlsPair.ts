import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

/** How errors name the certificate and the key: a flag and its file, or an option. */
export interface TlsSources {
  cert: { name: string; path?: string };
  key: { name: string; path?: string };
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const CERTIFICATE = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/;
/** PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`) or the traditional form (`Proc-Type: 4,ENCRYPTED`). */
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/;

const subject = (s: { name: string; path?: string }): string => (s.path === undefined ? s.name : `${s.name}: ${s.path}`);
const text = (pem: string | Buffer): string => (typeof pem === 'string' ? pem : pem.toString('latin1'));

/**
 * Checks a certificate and its private key before they reach Node's TLS, whose error
 * (`error:0480006C:PEM routines::no start line`, `key values mismatch`) says neither
 * which of the two is wrong nor where it came from. Throws a TypeError naming the
 * flag (or option) and file at fault: a certificate that is not one (a key, the two
 * swapped), a key that is not one, an encrypted key (no passphrase is taken: Node's error
 * was "interrupted or cancelled"), or a key that does not belong to the certificate.
 */
export function checkTlsPair(cert: string | Buffer, key: string | Buffer, sources: TlsSources): void {
  const swapped = `are ${sources.cert.name} and ${sources.key.name} swapped?`;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    if (!CERTIFICATE.test(text(cert)) && PRIVATE_KEY.test(text(cert))) {
      throw new TypeError(`${subject(sources.cert)} holds a private key, not a certificate (${swapped})`);
    }
    throw new TypeError(`${subject(sources.cert)} cannot be read as a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    if (ENCRYPTED_KEY.test(text(key))) {
      const file = sources.key.path ?? 'key.pem';
      throw new TypeError(
        `${subject(sources.key)} is an encrypted private key, which is not supported; decrypt it (asks for the passphrase) and pass the result: openssl pkey -in ${file} -out ${file.replace(/(\.pem)?$/, '.decrypted.pem')}`,
      );
    }
    if (!PRIVATE_KEY.test(text(key)) && CERTIFICATE.test(text(key))) {
      throw new TypeError(`${subject(sources.key)} holds a certificate, not a private key (${swapped})`);
    }
    throw new TypeError(`${subject(sources.key)} cannot be read as a PEM private key: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TypeError(`${subject(sources.key)} is not the private key of the certificate in ${subject(sources.cert)}`);
  }
}

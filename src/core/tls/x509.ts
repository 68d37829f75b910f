/**
 * @peculiar/x509, loaded with what it needs: its dependency tsyringe requires the Reflect metadata API, which the
 * reflect-metadata polyfill provides; certificates are made with Node's own WebCrypto.
 */
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export { x509 };

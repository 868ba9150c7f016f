import type { SecureContextOptions } from 'node:tls';

/**
 * The one TLS profile for every TLS endpoint of the gateway and its adapters (the agency API, the
 * push client, an adapter's push receiver and its gateway client): TLS 1.2 and 1.3 only, and in
 * TLS 1.2 only ECDHE key exchange with AEAD ciphers, as the NCSC's TLS guidance asks. That rules
 * out what Node would otherwise offer: RSA key exchange (no forward secrecy: one leaked server key
 * opens every recorded session), finite-field DHE, CBC suites and SHA-1 MACs. TLS 1.3's suites are
 * all AEAD with forward secrecy; they are named too, so no later default widens the list.
 *
 * Both ends of every connection here are ours or an agency's current software, so nothing old
 * needs a fallback. Spread it into server, agent and `tls.connect` options: `{ ...TLS_PROFILE, ... }`.
 */
export const TLS_CIPHERS = [
  // TLS 1.3
  'TLS_AES_256_GCM_SHA384',
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  // TLS 1.2: ECDHE + AEAD
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS_PROFILE = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: TLS_CIPHERS,
  // The server's order, not the client's, so a client preferring a weaker suite cannot pick it.
  honorCipherOrder: true,
  ecdhCurve: 'X25519:prime256v1:secp384r1',
} as const satisfies SecureContextOptions & { honorCipherOrder: boolean };

import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ServerOptions } from 'node:https';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { ServiceUnavailable, type GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { TLS_PROFILE } from '../tls-profile.js';
import { certificateStatus } from './agency-types.js';
import type { AgencyRegistry } from './agency-registry.js';
import {
  AgencyDisabled, ClientCertExpired, ClientCertRequired, ClientCertRevoked, ClientCertUntrusted,
} from './errors.js';
import { AGENCY_TYPES, type AgencyPrincipal } from './principal.js';

/**
 * Agency authentication by client certificate (mTLS). An agency is whoever the certificate it
 * presents names; nothing in a header or a body can say otherwise, except a certificate forwarded
 * by a configured TLS-terminating proxy, and then only from that proxy's addresses.
 *
 * The TLS layer asks for a certificate but does not abort the handshake on a bad one
 * (`rejectUnauthorized: false`): the request then reaches the authenticator, which refuses it with
 * 401 and a stable code in a problem+json body. A bare TLS alert tells an adapter's operator
 * nothing; a code (`CLIENT_CERT_REVOKED`, `CLIENT_CERT_EXPIRED`...) tells them what to fix. No
 * route can forget the check, because every agency route sits behind this middleware and the
 * chain verdict (`socket.authorized`) is still required.
 */

export interface MtlsServerMaterial {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export function httpsServerOptions(m: MtlsServerMaterial): ServerOptions {
  return {
    ca: m.caPem,
    cert: m.serverCertPem,
    key: m.serverKeyPem,
    requestCert: true,
    rejectUnauthorized: false,
    ...TLS_PROFILE,
  };
}

export interface TrustedProxyOptions {
  /** Header carrying the URL-encoded PEM client certificate, e.g. `x-ssl-client-cert` (nginx
   *  `$ssl_client_escaped_cert`). */
  header: string;
  /** Addresses of the proxy, e.g. `['10.0.0.5/32', 'fd00::/8']`. A bare address means /32 or /128. */
  trustedCidrs: string[];
  /** CA the forwarded certificate must chain to; defaults to the registry's CA. */
  caPem?: string;
}

export interface AgencyAuthenticatorOptions {
  registry: Pick<AgencyRegistry, 'lookupForAuth' | 'caCertPem'>;
  /** OFF unless given. */
  trustedProxy?: TrustedProxyOptions;
  logger?: Logger;
  now?: () => Date;
}

/** Express middleware: sets `res.locals.principal: AgencyPrincipal` or passes a 401 GatewayError to
 *  `next` (the app's error handler renders it as problem+json). */
export function createAgencyAuthenticator(opts: AgencyAuthenticatorOptions): RequestHandler {
  const authenticate = createAgencyAuthentication(opts);
  return (req, res, next) => {
    authenticate(req).then((principal) => {
      res.locals.principal = principal;
      next();
    }, next);
  };
}

/** The same check without Express, for other servers (e.g. an adapter's push receiver tests). */
export function createAgencyAuthentication(
  opts: AgencyAuthenticatorOptions,
): (req: IncomingMessage) => Promise<AgencyPrincipal> {
  const now = opts.now ?? (() => new Date());
  const proxy = opts.trustedProxy ? compileTrustedProxy(opts.trustedProxy, opts.registry.caCertPem) : null;

  // The registry unreachable: refuse (fail closed) with a retryable 503, not an opaque 500.
  async function lookup(fingerprint: string) {
    try {
      return await opts.registry.lookupForAuth(fingerprint);
    } catch (err) {
      throw new ServiceUnavailable('authentication is temporarily unavailable', { cause: err });
    }
  }

  async function check(req: IncomingMessage): Promise<AgencyPrincipal> {
    const peer = proxy?.peerFrom(req, now()) ?? peerFromSocket(req);
    if (!peer) throw new ClientCertRequired();
    // Other CA, self-signed, bad signature: refused before touching the database.
    if (!peer.chainOk && !peer.dateProblem) throw new ClientCertUntrusted();
    const found = await lookup(peer.fingerprint);
    if (!peer.chainOk) {
      // One of our certificates refused by TLS only for its dates: say so, it is what the
      // operator must fix. A revoked one is reported as revoked whatever its dates.
      if (!found) throw new ClientCertUntrusted();
      throw certificateStatus(found, now()) === 'revoked' ? new ClientCertRevoked() : new ClientCertExpired();
    }
    if (!found) throw new ClientCertUntrusted();
    switch (certificateStatus(found, now())) {
      case 'revoked': throw new ClientCertRevoked();
      case 'expired':
      case 'not_yet_valid': throw new ClientCertExpired();
      case 'agency_disabled': throw new AgencyDisabled();
      case 'valid': break;
    }
    // A type the code does not know (edited row, newer schema) is not trusted with anything.
    if (!AGENCY_TYPES.includes(found.agency.type)) throw new ClientCertUntrusted();
    return {
      kind: 'agency',
      agencyId: found.agency.id,
      agencyType: found.agency.type,
      certFingerprint: found.certificate.fingerprint256,
    };
  }

  return async (req) => {
    try {
      return await check(req);
    } catch (err) {
      opts.logger?.warn('agency authentication refused', {
        code: (err as GatewayError).code ?? 'ERROR',
        remoteAddress: req.socket.remoteAddress,
      });
      throw err;
    }
  };
}

interface Peer {
  fingerprint: string;
  /** The certificate chains to our CA and is within its dates. */
  chainOk: boolean;
  /** The only chain problem is the validity period. */
  dateProblem: boolean;
}

const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Connections that cannot renegotiate (pinPeerPerConnection), with their peer once read. */
const pinned = new WeakMap<object, Peer | null | undefined>();

/**
 * Refuses TLS renegotiation on every connection of `server` (the attempt errors the socket), so
 * a connection's client certificate is the one of its handshake for its whole life and is read
 * and hashed once per connection instead of once per request. Renegotiation is the only way a
 * certificate changes within a TLS 1.2 connection (TLS 1.3 has none), and no adapter needs it.
 */
export function pinPeerPerConnection(server: TlsServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.disableRenegotiation();
    pinned.set(socket, undefined);
  });
}

function peerFromSocket(req: IncomingMessage): Peer | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerX509Certificate !== 'function') return null;
  const known = pinned.get(socket);
  if (known !== undefined) return known;
  // getPeerX509Certificate is several times cheaper than getPeerCertificate (no object tree).
  const cert = socket.getPeerX509Certificate();
  const authorized = socket.authorized === true;
  const error = authorizationCode(socket.authorizationError);
  const peer = cert
    ? { fingerprint: sha256Hex(cert.raw), chainOk: authorized, dateProblem: !authorized && error !== null && DATE_ERRORS.has(error) }
    : null;
  // Without pinPeerPerConnection a TLS 1.2 renegotiation could change the certificate: read it per request.
  if (pinned.has(socket)) pinned.set(socket, peer);
  return peer;
}

function authorizationCode(e: unknown): string | null {
  if (e === null || e === undefined) return null;
  if (typeof e === 'string') return e;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(e);
}

function compileTrustedProxy(
  p: TrustedProxyOptions, defaultCaPem: string,
): { peerFrom(req: IncomingMessage, at: Date): Peer | null } {
  const header = p.header.toLowerCase();
  const allowed = new BlockList();
  for (const cidr of p.trustedCidrs) addCidr(allowed, cidr);
  const ca = new X509Certificate(p.caPem ?? defaultCaPem);

  return {
    peerFrom(req, at) {
      const raw = req.headers[header];
      // Nothing downstream may read a client-supplied copy of this header.
      delete req.headers[header];
      if (raw === undefined || !fromAllowed(allowed, req.socket.remoteAddress)) return null;
      // A duplicated header arrives joined or as an array: ambiguous, so refuse it.
      if (typeof raw !== 'string') return { fingerprint: '', chainOk: false, dateProblem: false };
      if (raw.trim() === '') return null;
      return verifyForwarded(raw, ca, at);
    },
  };
}

function verifyForwarded(raw: string, ca: X509Certificate, at: Date): Peer {
  const untrusted: Peer = { fingerprint: '', chainOk: false, dateProblem: false };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(decodeURIComponent(raw));
  } catch {
    return untrusted;
  }
  let signed = false;
  try {
    signed = cert.checkIssued(ca) && cert.verify(ca.publicKey) && !cert.ca;
  } catch {
    signed = false;
  }
  if (!signed) return untrusted;
  const fingerprint = sha256Hex(cert.raw);
  const inDates = at.getTime() >= Date.parse(cert.validFrom) && at.getTime() < Date.parse(cert.validTo);
  return { fingerprint, chainOk: inDates, dateProblem: !inDates };
}

function addCidr(list: BlockList, cidr: string): void {
  const [addr = '', prefixText] = cidr.trim().split('/');
  const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
  if (!type) throw new Error(`trustedProxy: not an IP address or CIDR: ${cidr}`);
  const max = type === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`trustedProxy: bad prefix in ${cidr}`);
  list.addSubnet(addr, prefix, type);
}

function fromAllowed(list: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : null;
  if (v4) return list.check(v4, 'ipv4');
  return isIPv4(address) ? list.check(address, 'ipv4') : isIPv6(address) && list.check(address, 'ipv6');
}

function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

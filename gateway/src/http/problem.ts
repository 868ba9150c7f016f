import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { GatewayError, MalformedJson, NotFound, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import type { Logger } from '../logger.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

export class MalformedUrl extends GatewayError {
  readonly code = 'MALFORMED_URL';
  readonly status = 400;
}

/**
 * RFC 9457 problem+json with our stable code. No stack, no SQL, no input echoed back. `requestId`
 * is the X-Request-Id of the response, so a caller's report can be matched to the log.
 */
export function sendProblem(res: Response, err: GatewayError, instance?: string): void {
  const requestId = requestIdOf(res);
  res.status(err.status).type('application/problem+json').json({
    type: `https://marac-gateway.example/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: err.message,
    status: err.status,
    code: err.code,
    ...(err.reason ? { reason: err.reason } : {}),
    ...(err.problems ? { problems: err.problems } : {}),
    ...(instance ? { instance } : {}),
    ...(requestId ? { requestId } : {}),
  });
}

/** Maps body-parser and our own errors; anything unknown becomes a bare 500 with an id for the logs. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof GatewayError) return sendProblem(res, err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return sendProblem(res, new PayloadTooLarge('The request body is too large'));
    if (type === 'entity.parse.failed') return sendProblem(res, new MalformedJson('The request body is not valid JSON'));
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return sendProblem(res, new UnsupportedMediaType('Unsupported body encoding'));
    if (type === 'request.aborted') return;
    // The router could not percent-decode a path parameter (`/v1/inbox/%ZZ/ack`): the URL is bad, not the body.
    if (err instanceof URIError) return sendProblem(res, new MalformedUrl('The request path is not valid percent-encoding'));
    if ((err as { status?: number }).status === 400) return sendProblem(res, new MalformedJson('The request body could not be read'));
    const id = randomUUID();
    logger.error('unhandled error', { errorId: id, err });
    const requestId = requestIdOf(res);
    res.status(500).type('application/problem+json').json({ type: 'about:blank', title: 'Internal error', status: 500, code: 'INTERNAL', instance: id, ...(requestId ? { requestId } : {}) });
  };
}

/** Unsafe methods must send JSON (or nothing); anything else is 415 before the body is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || req.method === 'DELETE') return next();
  const len = Number(req.headers['content-length'] ?? 0);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!len && !chunked) return next();
  if (!req.is('application/json')) return next(new UnsupportedMediaType('Send the body as application/json'));
  next();
};

export const notFoundHandler: RequestHandler = (_req, res) => sendProblem(res, new NotFound('No such route'));

/**
 * `clientError` listener for the HTTP servers. Without it Node answers a request it cannot parse
 * (a NUL or bare CR in a header, both Content-Length and Transfer-Encoding, headers over 16 kB)
 * with a bare status line; with it the client gets the same problem+json and stable code as every
 * other 4xx. Nothing from the request is echoed, not even an X-Request-Id (the request could not be
 * read): a fresh id is returned.
 */
export function clientErrorResponder(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, title] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive']
      : [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP/1.1'];
  const requestId = randomUUID();
  const body = JSON.stringify({ type: `https://marac-gateway.example/problems/${code.toLowerCase().replaceAll('_', '-')}`, title, status, code, requestId });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

// The one TLS profile lives in @marac/tls-profile (shared with the adapter SDK's client and push receiver).
export { TLS_CIPHERS, TLS_PROFILE } from '@marac/tls-profile';

/** The development PKI (office/pki) for suites on both sides of the link. */
export * from '../../office/pki/dev-pki.js';

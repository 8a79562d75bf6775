/** The virtual JPKI card: APDU processor, card profiles, and the vpcd connector. */
export * from './jpki-card.js';
export * from './profile.js';
export * from './vpcd.js';

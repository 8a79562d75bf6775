/** pcsc-lite's SCARD_W_SECURITY_VIOLATION: pcscd 2 refused the client (polkit said no). */
export const PCSC_ACCESS_DENIED = /access denied|0x8010006a/i;

/** The polkit rule deploy/install.sh installs, and where. */
export const POLKIT_RULE = '/etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules';

/** What to do when pcscd refuses `user`. */
export function pcscAccessRemedy(user: string): string {
  const rule = `pcscd 2 asks polkit about every client and lets in only users with an active login session: install the polkit rule ${POLKIT_RULE} (deploy/60-jpki-locker-pcscd.rules; sudo deploy/install.sh does), which lets the service user jpki-locker use pcscd`;
  return user === 'jpki-locker'
    ? rule
    : `${rule}; it covers only that user, so run doctor as it: sudo -u jpki-locker jpki-locker doctor`;
}

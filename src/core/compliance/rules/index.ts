import { accessLogOff } from './access-log-off';
import { authNotEnforced } from './auth-not-enforced';
import { certExpiry } from './cert-expiry';
import { cleartextHttp } from './cleartext-http';
import { containerPrivileged } from './container-privileged';
import { containerRoot } from './container-root';
import { cookieFlags } from './cookie-flags';
import { credentialsOverHttp } from './credentials-over-http';
import { crossTenantAccess } from './cross-tenant-access';
import { cvvReturned } from './cvv-returned';
import { dockerfileHealthcheck } from './dockerfile-healthcheck';
import { encryptionAtRest } from './encryption-at-rest';
import { hostNamespaces } from './host-namespaces';
import { hstsMissing } from './hsts-missing';
import { k8sLimitsProbes } from './k8s-limits-probes';
import { logRetention } from './log-retention';
import { noLockout } from './no-lockout';
import { outdatedComponent } from './outdated-component';
import { panExposed } from './pan-exposed';
import { rbacWildcard } from './rbac-wildcard';
import type { Rule } from './rule';
import { secretsInConfig } from './secrets-in-config';
import { securityHeaders } from './security-headers';
import { sessionLifetime } from './session-lifetime';
import { sloBreach } from './slo-breach';
import { sshExposed } from './ssh-exposed';
import { ssnInUrl } from './ssn-in-url';
import { stackTraceDisclosure } from './stack-trace-disclosure';
import { tlsVerifyDisabled } from './tls-verify-disabled';
import { tlsWeak } from './tls-weak';
import { unpinnedImage } from './unpinned-image';
import { unsignedPackages } from './unsigned-packages';
import { versionDisclosure } from './version-disclosure';
import { wafMissing } from './waf-missing';

/** Every rule, in matrix order. */
export const RULES: readonly Rule[] = [
  cleartextHttp, hstsMissing, tlsWeak, certExpiry, credentialsOverHttp, cookieFlags, securityHeaders, versionDisclosure,
  stackTraceDisclosure, panExposed, cvvReturned, ssnInUrl, noLockout, sessionLifetime, accessLogOff, containerRoot,
  containerPrivileged, hostNamespaces, secretsInConfig, tlsVerifyDisabled, unpinnedImage, sshExposed, rbacWildcard,
  k8sLimitsProbes, dockerfileHealthcheck, unsignedPackages, sloBreach, logRetention, outdatedComponent, authNotEnforced, wafMissing, encryptionAtRest, crossTenantAccess,
].sort((a, b) => a.check - b.check);

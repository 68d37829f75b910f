import { perExchange, type Rule } from './rule';

const CVV_FIELD = /["']?(cvv2?|cvc2?|cid|security_?code|card_?verification(?:_?value)?)["']?\s*[:=]\s*["']?(\d{3,4})["']?(?![\d])/gi;

export const cvvReturned: Rule = {
  id: 'cvv-returned',
  check: 10,
  title: 'Card verification code returned after authorisation',
  severity: 'high',
  remediation: 'Never store or return CVV/CVC after authorisation: drop the field from responses, logs and databases (PCI DSS 3.3.1, 3.3.2).',
  traffic: perExchange((ex) => {
    const m = [...ex.responseBody.matchAll(CVV_FIELD)][0];
    return m ? [{ key: String(ex.id), message: `${ex.method} ${ex.url} returned a '${m[1]}' field with a ${m[2].length}-digit value`, evidence: `field ${m[1]} = ${'*'.repeat(m[2].length)}` }] : [];
  }),
};

package sigv4

import (
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"time"
)

// PolicySignature is the signing part of a browser POST upload form: the
// x-amz-algorithm, x-amz-credential, x-amz-date, policy and x-amz-signature
// fields.
type PolicySignature struct {
	Algorithm  string
	Credential string
	Date       string
	Policy     string // base64 policy document, exactly as posted
	Signature  string
}

// VerifyPolicy checks that the POST policy was signed by a known key for
// this region. A POST policy is signed as HMAC(signingKey, base64 policy),
// which the SDK signer does not verify, so the chain is applied by hand. It
// does not evaluate the policy's conditions or expiration: that is the S3
// handler's job, since only it sees the form.
func (v *Verifier) VerifyPolicy(p PolicySignature) (Credential, error) {
	if p.Algorithm != algorithm {
		return Credential{}, newError(http.StatusBadRequest, "InvalidArgument",
			"POST requires the x-amz-algorithm field to be %s", algorithm)
	}
	if p.Credential == "" || p.Signature == "" || p.Date == "" || p.Policy == "" {
		return Credential{}, newError(http.StatusBadRequest, "InvalidArgument",
			"POST requires the policy, x-amz-credential, x-amz-date and x-amz-signature fields")
	}
	cred, err := ParseCredential(p.Credential)
	if err != nil {
		return Credential{}, newError(http.StatusBadRequest, "InvalidArgument", "x-amz-credential: %v", err)
	}
	date, err := time.Parse(timeFormat, p.Date)
	if err != nil {
		return Credential{}, newError(http.StatusBadRequest, "InvalidArgument",
			"x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	sig := &signature{cred: cred, date: date, amzDate: p.Date, sig: p.Signature}
	secret, err := v.checkScope(sig, "s3")
	if err != nil {
		return Credential{}, err
	}
	want := hex.EncodeToString(hmacSHA256(signingKey(secret, cred), p.Policy))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.Signature)) != 1 {
		return Credential{}, newError(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	return cred, nil
}

// SignPolicy signs a base64 POST policy the way the SDK's PresignPostObject
// does. It exists so the local cloud can issue upload grants itself and so
// tests can forge near-miss signatures.
func SignPolicy(secret string, cred Credential, policyB64 string) string {
	return hex.EncodeToString(hmacSHA256(signingKey(secret, cred), policyB64))
}

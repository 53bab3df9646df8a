// Package webhooksig checks that a webhook delivery comes from the platform:
// an HMAC signature checked against several secrets in constant time, a
// signed timestamp within a tolerance, or, for platforms that cannot sign,
// a shared token or HTTP Basic credentials.
//
// # How a platform package uses it
//
// A platform's VerifyWebhook reads its headers, builds the bytes the
// platform signs (the body alone, or a platform-defined message such as
// timestamp+body or method+URL+body+timestamp, see Message) and calls a
// Verifier whose Algorithm, Encoding and Prefix describe the platform's
// signature:
//
//	Zendesk      Verifier{Algorithm: HMACSHA256, Encoding: Base64}, over Message(ts, body)
//	HubSpot v3   Verifier{Algorithm: HMACSHA256, Encoding: Base64}, over Message(method, uri, body, ts)
//	HubSpot v1/2 Verifier{Algorithm: PlainSHA256, Encoding: Hex}, over body or Message(method, uri, body)
//	Jira         Verifier{Algorithm: HMACSHA256, Encoding: Hex, Prefix: "sha256="}, over body
//	Intercom     Verifier{Algorithm: HMACSHA1, Encoding: Hex, Prefix: "sha1="}, over body
//	Std Webhooks Verifier{Algorithm: HMACSHA256, Encoding: Base64, Prefix: "v1,"}, over Message(id, ".", ts, ".", body)
//
// A signed timestamp is checked with CheckTimestamp, which refuses a delivery
// both too old (a replay) and dated too far in the future, against a now the
// caller supplies (a Config clock in tests). Freshdesk cannot sign: CheckToken
// compares a shared header value and CheckBasic HTTP Basic credentials, both
// in constant time.
//
// Every error matches ticketsync.ErrInvalidSignature and says what was wrong
// without quoting the secret, the signature or the token. The platform
// package wraps it with its own name: fmt.Errorf("jira: verify webhook: %w", err).
//
// Sign computes the same signature, for fakes, tests and senders.
package webhooksig

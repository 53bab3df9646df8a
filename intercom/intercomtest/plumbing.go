package intercomtest

import (
	"context"

	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

type versionKey struct{}

func withVersion(ctx context.Context, v version) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

func versionOf(ctx context.Context) version {
	v, _ := ctx.Value(versionKey{}).(version)
	return v
}

// Sign returns the X-Hub-Signature value Intercom sends: "sha1=" and the
// hex HMAC-SHA1 of body keyed with the app's client secret.
func Sign(clientSecret string, body []byte) string {
	return signer.Sign(clientSecret, body)
}

// signer is Intercom's signature shape.
var signer = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1, Encoding: webhooksig.Hex, Prefix: "sha1="}

package websocket

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// TestAdvertisedExpiriesMatchTheSignedOnes: the grant tells the page when
// its POST form and its links stop working (upload.expiresAt,
// links.expiresAt), and the page acts on that. Each must be the expiry
// actually signed, never later: a form advertised past its policy's
// expiration fails with "Policy expired" while the page still offers it.
// The SDK signs with the wall clock, which reads between the handler's
// clock and the end of the grant, so the signed expiry may be later than
// the advertised one by that much (whole seconds), never earlier.
func TestAdvertisedExpiriesMatchTheSignedOnes(t *testing.T) {
	f := newFixture(t)
	f.now = time.Now().UTC().Truncate(time.Second)
	g := f.grant(t, "c1")
	slack := time.Now().UTC().Truncate(time.Second).Sub(f.now)
	if want := f.now.Add(5 * time.Minute); !g.Upload.ExpiresAt.Equal(want) {
		t.Errorf("upload.expiresAt %s, want %s (5 minutes after the grant)", g.Upload.ExpiresAt, want)
	}
	if want := f.now.Add(time.Hour); !g.Links.ExpiresAt.Equal(want) {
		t.Errorf("links.expiresAt %s, want %s (1 hour after the grant)", g.Links.ExpiresAt, want)
	}
	within := func(what string, signed, advertised time.Time) {
		t.Helper()
		if d := signed.Sub(advertised); d < 0 || d > slack {
			t.Errorf("%s: signed to expire at %s, advertised %s", what, signed, advertised)
		}
	}

	raw, err := base64.StdEncoding.DecodeString(g.Upload.Fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var policy struct{ Expiration string }
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, policy.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	within("POST policy", exp, g.Upload.ExpiresAt)

	links := map[string]string{"status": g.Links.Status}
	for name, u := range g.Links.Renditions {
		links[name] = u
	}
	for name, link := range links {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		if err != nil {
			t.Fatalf("%s link %s: %v", name, link, err)
		}
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil {
			t.Fatalf("%s link %s: %v", name, link, err)
		}
		within(name+" link", date.Add(time.Duration(secs)*time.Second), g.Links.ExpiresAt)
	}
}

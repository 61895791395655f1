package stack

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(1 hour)": time.Hour,
		"rate(12 hours)": 12 * time.Hour, "rate(1 day)": 24 * time.Hour, "rate(7 days)": 7 * 24 * time.Hour,
	} {
		if got, err := ParseRate(expr); got != want || err != nil {
			t.Errorf("%s: %v, %v; want %v", expr, got, err, want)
		}
	}
	for expr, says := range map[string]string{
		"cron(0/5 * * * ? *)": "cron expressions are not supported",
		"rate(5 minute)":      `plural unit "minutes"`,
		"rate(1 minutes)":     `singular unit "minute"`,
		"rate(0 minutes)":     "positive whole number",
		"rate(-1 minutes)":    "positive whole number",
		"rate(05 minutes)":    "positive whole number",
		"rate(5 seconds)":     "minute(s), hour(s) or day(s)",
		"rate(5minutes)":      "positive whole number",
		"rate(5 minutes":      "want rate(VALUE UNIT)",
		"every 5 minutes":     "want rate(VALUE UNIT)",
		"":                    "want rate(VALUE UNIT)",
	} {
		_, err := ParseRate(expr)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want an error saying %q", expr, err, says)
		}
	}
}

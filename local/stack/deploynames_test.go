package stack

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// nameRules are AWS's rules for the names a template may set, by resource
// type: what CloudFormation would refuse, or the service reject, at deploy
// time. A name CloudFormation generates (the property left out) is valid
// by construction.
var nameRules = map[string]func(string) error{
	"AWS::S3::Bucket": func(n string) error {
		switch {
		case len(n) < 3 || len(n) > 63:
			return fmt.Errorf("%d characters, want 3-63", len(n))
		case !regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`).MatchString(n):
			return fmt.Errorf("want lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit")
		case strings.Contains(n, ".."), strings.HasPrefix(n, "xn--"), strings.HasPrefix(n, "sthree-"),
			strings.HasSuffix(n, "-s3alias"), strings.HasSuffix(n, "--ol-s3"):
			return fmt.Errorf("a reserved prefix, suffix or '..'")
		}
		if _, err := netip.ParseAddr(n); err == nil {
			return fmt.Errorf("an IP address")
		}
		return nil
	},
	"AWS::Logs::LogGroup":           pattern(512, `^[.\-_/#A-Za-z0-9]+$`),
	"AWS::ApiGatewayV2::Api":        pattern(128, `^.+$`),
	"AWS::ApiGatewayV2::Stage":      pattern(128, `^[A-Za-z0-9_\-]+$`),
	"AWS::Serverless::Function":     pattern(64, `^[A-Za-z0-9_\-]+$`),
	"AWS::Serverless::StateMachine": pattern(80, `^[A-Za-z0-9_\-]+$`),
	"AWS::SQS::Queue":               pattern(80, `^[A-Za-z0-9_\-]+$`),
	"AWS::SNS::Topic":               pattern(256, `^[A-Za-z0-9_\-]+$`),
	"AWS::SecretsManager::Secret":   pattern(512, `^[A-Za-z0-9/_+=.@\-]+$`),
	"AWS::Events::Rule":             pattern(64, `^[.\-_A-Za-z0-9]+$`),
	"AWS::CloudWatch::Alarm":        pattern(255, `^.+$`),
}

func pattern(max int, re string) func(string) error {
	rx := regexp.MustCompile(re)
	return func(n string) error {
		if len(n) > max {
			return fmt.Errorf("%d characters, want at most %d", len(n), max)
		}
		if !rx.MatchString(n) {
			return fmt.Errorf("does not match %s", re)
		}
		return nil
	}
}

// TestEveryStackNameDeploys: with the longest stack name CloudFormation
// accepts (128 characters, mixed case) in a 14-character region, every
// name the template sets is one AWS accepts. A user who picks such a name
// gets a stack, not a rollback.
func TestEveryStackNameDeploys(t *testing.T) {
	name := "Thumbflow-" + strings.Repeat("ProdEU9", 20)
	name = name[:128]
	for _, opts := range []Options{
		{StackName: name, Region: "ap-southeast-2", AccountID: "123456789012"},
		{StackName: "t", Region: "us-east-1", AccountID: "123456789012"},
		{StackName: name, Region: "cn-northwest-1", AccountID: "123456789012", Partition: "aws-cn", URLSuffix: "amazonaws.com.cn"},
	} {
		st := loadRepo(t, opts)
		named := 0
		for _, r := range st.Resources {
			k := kinds[r.Type]
			if k == nil || k.nameProp == "" {
				continue
			}
			v, set := r.Properties[k.nameProp].(string)
			if !set {
				continue // CloudFormation generates a valid name
			}
			named++
			rule := nameRules[r.Type]
			if rule == nil {
				t.Errorf("%s sets %s but this test knows no rule for %s names: add one", r.LogicalID, k.nameProp, r.Type)
				continue
			}
			if err := rule(v); err != nil {
				t.Errorf("stack %q in %s: %s's %s %q: %v", opts.StackName[:min(len(opts.StackName), 20)]+"...", opts.Region, r.LogicalID, k.nameProp, v, err)
			}
		}
		// The local cloud runs such a stack too: its buckets' local names
		// are valid S3 names.
		for _, b := range st.Buckets {
			if err := nameRules["AWS::S3::Bucket"](b.Name); err != nil {
				t.Errorf("local name of %s %q: %v", b.LogicalID, b.Name, err)
			}
		}
		if named == 0 {
			t.Errorf("no named resource evaluated: the test reads the wrong property")
		}
	}
}

// TestHostsAndARNsFollowThePartition: no output or environment value
// hard-codes the standard partition's host suffix or ARN prefix.
func TestHostsAndARNsFollowThePartition(t *testing.T) {
	st := loadRepo(t, Options{Region: "cn-north-1", Partition: "aws-cn", URLSuffix: "amazonaws.com.cn"})
	check := func(where, v string) {
		if strings.Contains(v, "arn:aws:") || (strings.Contains(v, "amazonaws.com") && !strings.Contains(v, "amazonaws.com.cn")) {
			t.Errorf("%s = %q: built for the aws partition, not aws-cn", where, v)
		}
	}
	for k, v := range st.Outputs {
		check("output "+k, v)
	}
	for _, f := range st.Functions {
		for k, v := range f.Environment {
			check(f.LogicalID+" "+k, v)
		}
	}
}

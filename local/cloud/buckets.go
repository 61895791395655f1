package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"thumbflow/local/iam"
	locals3 "thumbflow/local/s3"
	"thumbflow/local/stack"
)

// sweepEvery is how often the local cloud applies the buckets' lifecycle
// rules. S3 applies them about once a day; an hour keeps a long-running
// `thumbflow dev` close to that without waiting a day after a start.
const sweepEvery = time.Hour

// buildBuckets creates every bucket of the stack and gives it the
// configuration the template declares, replacing what an earlier run (or
// a user's aws s3api call) left, as a stack update does. Notifications
// come later, in buildNotifications, once their functions exist.
func (c *Cloud) buildBuckets() error {
	for _, b := range c.Stack.Buckets {
		if err := c.buildBucket(b); err != nil {
			return fmt.Errorf("bucket %s (%s): %w", b.Name, b.LogicalID, err)
		}
	}
	for _, b := range c.Stack.Buckets {
		if err := c.S3.SetLogging(b.Name, accessLogTarget(b)); err != nil {
			return fmt.Errorf("bucket %s (%s): %w", b.Name, b.LogicalID, err)
		}
	}
	return c.buildBucketPolicies()
}

// accessLogTarget is where LoggingConfiguration sends a bucket's access
// logs; nil turns logging off, as removing it from the template does.
func accessLogTarget(b *stack.Bucket) *locals3.LoggingTarget {
	if b.LogsTo == nil {
		return nil
	}
	return &locals3.LoggingTarget{Bucket: b.LogsTo.Name, Prefix: b.Props.LoggingConfiguration.LogFilePrefix}
}

// buildBucketPolicies makes the template's bucket policies (and the topic
// policies) resource policies of the local IAM: every S3 request is
// evaluated against its bucket's policy together with the caller's
// identity policies, as S3 evaluates them, so the TLS-only policy refuses
// a plain-HTTP request from another machine (SecureTransport). S3's log
// delivery is authorized by the same policies (authorizeLogDelivery).
func (c *Cloud) buildBucketPolicies() error {
	byBucket := map[string][]iam.Policy{}
	for _, b := range c.Stack.Buckets {
		for _, p := range b.Policies {
			doc, err := iam.Parse(p.Props.PolicyDocument)
			if err != nil {
				return c.refusal(p.Resource, "bucket policy %s: %v", p.LogicalID, err)
			}
			byBucket[b.Name] = append(byBucket[b.Name], doc)
		}
	}
	c.bucketPolicies = byBucket
	c.authz.SetResourcePolicies(func(resource string) []iam.Policy {
		if rest, ok := strings.CutPrefix(resource, "arn:aws:s3:::"); ok {
			bucket, _, _ := strings.Cut(rest, "/")
			return byBucket[bucket]
		}
		if c.Topics != nil {
			if p, ok := c.Topics.Policy(resource); ok {
				return []iam.Policy{p}
			}
		}
		return nil
	})
	return nil
}

// authorizeLogDelivery is S3's log delivery writing one log object, as
// logging.s3.amazonaws.com for the source bucket: the target bucket's
// policy must allow it (the template's aws:SourceArn and aws:SourceAccount
// conditions), as S3 requires when the target's ACLs are disabled.
func (c *Cloud) authorizeLogDelivery(source, target, key string) error {
	req := iam.Request{Service: "logging.s3.amazonaws.com", Action: "s3:PutObject", Resource: "arn:aws:s3:::" + target + "/" + key,
		Context: map[string][]string{"aws:SourceArn": {"arn:aws:s3:::" + source}, "aws:SourceAccount": {c.cfg.AccountID},
			"aws:SecureTransport": {"true"}}}
	if d := iam.Evaluate(req, nil, c.bucketPolicies[target]); d != iam.Allow {
		return fmt.Errorf("the policy of bucket %s does not let logging.s3.amazonaws.com deliver the access logs of %s (%s)", target, source, d)
	}
	return nil
}

func (c *Cloud) buildBucket(b *stack.Bucket) error {
	p := b.Props
	if err := c.S3.CreateBucket(b.Name, c.corsRules(p.CorsConfiguration)...); err != nil {
		return err
	}
	if v := p.VersioningConfiguration; v != nil {
		if err := c.S3.SetVersioning(b.Name, b.Versioned); err != nil {
			return err
		}
	}
	if err := c.S3.SetLifecycle(b.Name, lifecycleRules(p.LifecycleConfiguration)); err != nil {
		return err
	}
	if e := p.BucketEncryption; e != nil {
		for _, r := range e.ServerSideEncryptionConfiguration {
			rule := locals3.EncryptionRule{BucketKeyEnabled: r.BucketKeyEnabled}
			if d := r.ServerSideEncryptionByDefault; d != nil {
				rule.SSEAlgorithm, rule.KMSMasterKeyID = d.SSEAlgorithm, d.KMSMasterKeyID
			}
			if err := c.S3.SetEncryption(b.Name, rule); err != nil {
				return err
			}
		}
	}
	if a := p.PublicAccessBlockConfiguration; a != nil {
		err := c.S3.SetPublicAccessBlock(b.Name, locals3.PublicAccessBlock{BlockPublicAcls: a.BlockPublicAcls,
			IgnorePublicAcls: a.IgnorePublicAcls, BlockPublicPolicy: a.BlockPublicPolicy, RestrictPublicBuckets: a.RestrictPublicBuckets})
		if err != nil {
			return err
		}
	}
	if o := p.OwnershipControls; o != nil {
		for _, r := range o.Rules {
			if err := c.S3.SetOwnership(b.Name, r.ObjectOwnership); err != nil {
				return err
			}
		}
	}
	return nil
}

// corsRules are the template's CORS rules, with the one local addition:
// a rule that allows the web client's origin also allows every origin the
// web client is reached at (its loopback aliases, and with Public its port
// on any host). The template can name one WebOrigin; a developer opens
// the page at 127.0.0.1 or localhost as it comes.
func (c *Cloud) corsRules(cfg *stack.CorsConfiguration) []locals3.CORSRule {
	if cfg == nil {
		return nil
	}
	web := c.webOrigins()
	var rules []locals3.CORSRule
	for _, r := range cfg.CorsRules {
		origins := slices.Clone(r.AllowedOrigins)
		if slices.ContainsFunc(origins, func(o string) bool { return slices.Contains(web, o) }) {
			for _, o := range c.corsOrigins() {
				if !slices.Contains(origins, o) {
					origins = append(origins, o)
				}
			}
		}
		rules = append(rules, locals3.CORSRule{ID: r.Id, AllowedOrigins: origins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposedHeaders, MaxAgeSeconds: r.MaxAge})
	}
	return rules
}

// webOrigins are the origins the web client is opened at: the address it
// listens on, and the other loopback names for the same port.
func (c *Cloud) webOrigins() []string {
	u, err := url.Parse(c.WebURL)
	if err != nil {
		return nil
	}
	origins := []string{c.WebURL}
	for _, h := range []string{"127.0.0.1", "localhost", "::1"} {
		if o := u.Scheme + "://" + net.JoinHostPort(h, u.Port()); o != c.WebURL {
			origins = append(origins, o)
		}
	}
	return origins
}

func lifecycleRules(cfg *stack.LifecycleConfiguration) []locals3.LifecycleRule {
	if cfg == nil {
		return nil
	}
	var rules []locals3.LifecycleRule
	for _, r := range cfg.Rules {
		rule := locals3.LifecycleRule{ID: r.Id, Enabled: r.Status == "Enabled", Prefix: r.Prefix,
			ExpirationDays: r.ExpirationInDays, NoncurrentDays: r.NoncurrentVersionExpirationInDays}
		if n := r.NoncurrentVersionExpiration; n != nil {
			rule.NoncurrentDays, rule.NewerNoncurrentVersions = n.NoncurrentDays, n.NewerNoncurrentVersions
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			rule.AbortIncompleteUploadDays = a.DaysAfterInitiation
		}
		rules = append(rules, rule)
	}
	return rules
}

// buildNotifications gives each bucket the notification configuration the
// template declares (its functions' S3 events included, as SAM writes
// them) and makes each function it names receive the events, through the
// S3 outbox, which retries a delivery until the function succeeds.
func (c *Cloud) buildNotifications() error {
	targets := map[string]*stack.Function{}
	for _, b := range c.Stack.Buckets {
		var cfg locals3.NotificationConfiguration
		for _, n := range b.Notifications {
			if n.Target != "Lambda" || n.Function == nil {
				return c.refusal(b.Resource, "bucket %s notifies %s %s: the local S3 delivers only to the stack's functions", b.Name, n.Target, n.TargetARN)
			}
			cfg.LambdaFunctions = append(cfg.LambdaFunctions, locals3.LambdaNotification{
				FunctionARN: n.Function.ARN, Events: []string{n.Event}, Prefix: n.Prefix, Suffix: n.Suffix})
			targets[n.Function.ARN] = n.Function
		}
		if err := c.S3.SetNotification(b.Name, cfg); err != nil {
			return c.refusal(b.Resource, "%v", err)
		}
	}
	// S3 invokes asynchronously: Lambda's retries and OnFailure
	// destination apply (invokeAsync).
	for arn, fn := range targets {
		c.S3.RegisterFunction(arn, func(ctx context.Context, ev events.S3Event) error {
			payload, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			return c.invokeAsync(ctx, fn, payload)
		})
	}
	return nil
}

// sweep applies the lifecycle rules now and then every sweepEvery until
// the cloud closes.
func (c *Cloud) sweep() {
	run := func() {
		if _, err := c.S3.Sweep(time.Now()); err != nil {
			c.log.Error("lifecycle sweep", "error", err)
		}
	}
	run()
	c.sweeper.Add(1)
	go func() {
		defer c.sweeper.Done()
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				run()
			case <-c.stop:
				return
			}
		}
	}()
}

package s3

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Bucket notification configurations: Lambda function destinations with
// event types and prefix/suffix key filters, as template.yaml declares
// them. The configuration decides delivery: an object-created event goes
// to every destination whose events and filters match, through the same
// durable outbox as Notify's subscriptions, to the handler registered for
// the destination's function ARN with RegisterFunction. Topic, queue and
// EventBridge destinations are refused: the local cloud has none of them
// behind S3.

// NotificationConfiguration is a bucket's NotificationConfiguration.
type NotificationConfiguration struct {
	LambdaFunctions []LambdaNotification `json:"lambdaFunctions,omitempty"`
}

// LambdaNotification is one LambdaFunctionConfiguration: events whose key
// starts with Prefix and ends with Suffix go to the function FunctionARN.
type LambdaNotification struct {
	// ID names the configuration; empty gets one derived from the rest,
	// stable across restarts (the outbox identifies destinations by it).
	ID          string   `json:"id"`
	FunctionARN string   `json:"functionArn"`
	Events      []string `json:"events"` // "s3:ObjectCreated:*", "s3:ObjectCreated:Put", ...
	Prefix      string   `json:"prefix,omitempty"`
	Suffix      string   `json:"suffix,omitempty"`
}

// createdEvents are the event types the local S3 emits.
var createdEvents = map[string]bool{
	"s3:ObjectCreated:*": true, "s3:ObjectCreated:Put": true, "s3:ObjectCreated:Post": true,
	"s3:ObjectCreated:Copy": true, "s3:ObjectCreated:CompleteMultipartUpload": true,
}

// otherEvents are S3's other event types: valid on S3, never emitted here.
var otherEvents = []string{
	"s3:ObjectRemoved:", "s3:ObjectRestore:", "s3:ReducedRedundancyLostObject", "s3:Replication:",
	"s3:LifecycleExpiration:", "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectTagging:", "s3:ObjectAcl:Put",
}

func invalidArgument(msg string) *s3Error {
	return &s3Error{http.StatusBadRequest, "InvalidArgument", msg}
}

func validateNotification(cfg NotificationConfiguration) *s3Error {
	ids := map[string]bool{}
	for i, n := range cfg.LambdaFunctions {
		switch {
		case n.FunctionARN == "" || len(n.Events) == 0:
			return errMalformedXML
		case !strings.HasPrefix(n.FunctionARN, "arn:aws:lambda:"):
			return invalidArgument("Unable to validate the following destination configurations: " + n.FunctionARN)
		case ids[n.ID]:
			return invalidArgument("Configuration ids must be unique.")
		}
		ids[n.ID] = true
		for _, ev := range n.Events {
			if createdEvents[ev] {
				continue
			}
			for _, o := range otherEvents {
				if strings.HasPrefix(ev, o) {
					return notImplemented("notifications for " + ev + " (only s3:ObjectCreated events are emitted)")
				}
			}
			return invalidArgument("The event is not supported for notifications: " + ev)
		}
		for _, m := range cfg.LambdaFunctions[:i] {
			if overlap(m, n) {
				return invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.")
			}
		}
	}
	return nil
}

// overlap is S3's refusal of two destinations that could both receive one
// event: a common event type and filters that some key satisfies both of.
func overlap(a, b LambdaNotification) bool {
	common := false
	for _, x := range a.Events {
		for _, y := range b.Events {
			common = common || x == y || x == "s3:ObjectCreated:*" || y == "s3:ObjectCreated:*"
		}
	}
	prefixes := strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)
	suffixes := strings.HasSuffix(a.Suffix, b.Suffix) || strings.HasSuffix(b.Suffix, a.Suffix)
	return common && prefixes && suffixes
}

// notificationID stands in for the ID S3 generates, but stays the same
// for the same destination, so pending events find it after a restart.
func notificationID(n LambdaNotification) string {
	b, _ := json.Marshal(n)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:24])
}

// SetNotification replaces bucket's notification configuration, as
// PutBucketNotificationConfiguration does. Events recorded from then on
// follow it; see RegisterFunction for where they go.
func (s *Server) SetNotification(bucket string, cfg NotificationConfiguration) error {
	cfg.LambdaFunctions = append([]LambdaNotification(nil), cfg.LambdaFunctions...)
	for i, n := range cfg.LambdaFunctions {
		if n.ID == "" {
			cfg.LambdaFunctions[i].ID = notificationID(n)
		}
	}
	if e := validateNotification(cfg); e != nil {
		return fmt.Errorf("notification configuration of bucket %q: %w", bucket, e)
	}
	err := s.store.updateSettings(bucket, func(st *bucketSettings) error {
		st.Notification = nil
		if len(cfg.LambdaFunctions) > 0 {
			st.Notification = &cfg
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notification configuration of bucket %q: %w", bucket, err)
	}
	return nil
}

// RegisterFunction makes fn the handler of the Lambda function arn for
// the notification configurations that name it. Events recorded for arn
// before it had a handler, in this run or before a restart, are delivered
// to fn now; like Notify, it must be called at every start.
func (s *Server) RegisterFunction(arn string, fn EventHandler) {
	s.events.registerFunction(arn, fn)
}

// matches reports whether an event of type name (as in the event record,
// "ObjectCreated:Put") for key goes to n.
func (n LambdaNotification) matches(key, name string) bool {
	if !strings.HasPrefix(key, n.Prefix) || !strings.HasSuffix(key, n.Suffix) {
		return false
	}
	for _, ev := range n.Events {
		if ev == "s3:"+name || ev == "s3:ObjectCreated:*" && strings.HasPrefix(name, "ObjectCreated:") {
			return true
		}
	}
	return false
}

// notificationDestinations are the destinations of bucket's configuration
// that an event of type name for key goes to.
func (s *Server) notificationDestinations(bucket, key, name string) []*subscription {
	st, err := s.store.bucketSettings(bucket)
	if err != nil || st.Notification == nil {
		return nil
	}
	var out []*subscription
	for _, n := range st.Notification.LambdaFunctions {
		if n.matches(key, name) {
			out = append(out, &subscription{id: "lambda|" + bucket + "|" + n.ID + "|" + n.FunctionARN, bucket: bucket, function: n.FunctionARN, configID: n.ID})
		}
	}
	return out
}

// withConfigurationID encodes ev as sent for the configuration id: S3
// names the configuration in s3.configurationId.
func withConfigurationID(ev events.S3Event, id string) (json.RawMessage, error) {
	ev.Records = append([]events.S3EventRecord(nil), ev.Records...)
	for i := range ev.Records {
		ev.Records[i].S3.ConfigurationID = id
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return b, nil
}

// deliverToFunction delivers e to the handler of sub.function, or keeps it
// pending until one is registered.
func (o *outbox) deliverToFunction(sub *subscription, e *entry) {
	o.mu.Lock()
	fn := o.functions[sub.function]
	if fn == nil {
		o.pending[e.ID] = e
	}
	o.mu.Unlock()
	if fn != nil {
		o.deliver(&subscription{id: sub.id, bucket: sub.bucket, fn: fn, function: sub.function}, e)
	}
}

func (o *outbox) registerFunction(arn string, fn EventHandler) {
	o.mu.Lock()
	o.functions[arn] = fn
	var replay []*entry
	for id, e := range o.pending {
		if e.Function == arn {
			replay = append(replay, e)
			delete(o.pending, id)
		}
	}
	o.mu.Unlock()
	for _, e := range replay {
		o.deliver(&subscription{id: e.Sub, fn: fn, function: arn}, e)
	}
}

// The XML form of a notification configuration.

type notificationXML struct {
	XMLName xml.Name          `xml:"NotificationConfiguration"`
	Xmlns   string            `xml:"xmlns,attr,omitempty"`
	Lambdas []lambdaConfigXML `xml:"CloudFunctionConfiguration"`
	Topics  []struct{}        `xml:"TopicConfiguration"`
	Queues  []struct{}        `xml:"QueueConfiguration"`
	Bridge  *struct{}         `xml:"EventBridgeConfiguration"`
}

type lambdaConfigXML struct {
	ID       string   `xml:"Id,omitempty"`
	Function string   `xml:"CloudFunction"`
	Events   []string `xml:"Event"`
	Filter   *struct {
		Rules []filterRuleXML `xml:"S3Key>FilterRule"`
	} `xml:"Filter"`
}

type filterRuleXML struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func (x lambdaConfigXML) notification() (LambdaNotification, *s3Error) {
	n := LambdaNotification{ID: x.ID, FunctionARN: x.Function, Events: x.Events}
	if x.Filter == nil {
		return n, nil
	}
	seen := map[string]bool{}
	for _, r := range x.Filter.Rules {
		name := strings.ToLower(r.Name)
		if seen[name] {
			return n, invalidArgument("Cannot specify more than one " + name + " rule in a filter.")
		}
		seen[name] = true
		switch name {
		case "prefix":
			n.Prefix = r.Value
		case "suffix":
			n.Suffix = r.Value
		default:
			return n, invalidArgument("filter rule name must be either prefix or suffix")
		}
	}
	return n, nil
}

func (s *Server) putNotification(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	var doc notificationXML
	if err := readXML(r, &doc); err != nil {
		return err
	}
	if len(doc.Topics) > 0 || len(doc.Queues) > 0 || doc.Bridge != nil {
		return notImplemented("topic, queue and EventBridge notifications (only Lambda functions)")
	}
	var cfg NotificationConfiguration
	for _, x := range doc.Lambdas {
		n, e := x.notification()
		if e != nil {
			return e
		}
		cfg.LambdaFunctions = append(cfg.LambdaFunctions, n)
	}
	if err := s.SetNotification(bucket, cfg); err != nil {
		return err
	}
	writeOK(w)
	return nil
}

// getNotification answers an empty configuration for a bucket without
// one, as S3 does.
func (s *Server) getNotification(w http.ResponseWriter, r *http.Request, bucket, _ string) error {
	st, err := s.store.bucketSettings(bucket)
	if err != nil {
		return err
	}
	doc := notificationXML{Xmlns: s3XMLNS}
	if st.Notification != nil {
		for _, n := range st.Notification.LambdaFunctions {
			x := lambdaConfigXML{ID: n.ID, Function: n.FunctionARN, Events: n.Events}
			var rules []filterRuleXML
			if n.Prefix != "" {
				rules = append(rules, filterRuleXML{"Prefix", n.Prefix})
			}
			if n.Suffix != "" {
				rules = append(rules, filterRuleXML{"Suffix", n.Suffix})
			}
			if rules != nil {
				x.Filter = &struct {
					Rules []filterRuleXML `xml:"S3Key>FilterRule"`
				}{rules}
			}
			doc.Lambdas = append(doc.Lambdas, x)
		}
	}
	writeXML(w, doc)
	return nil
}

package stack

import (
	"regexp"
	"strings"
)

// link connects the typed resources once all are built: routes to their
// integrations and functions, subscriptions to topics, S3 events to
// buckets. A reference the local cloud could not follow (a route target
// that is no integration of its API, a destination outside the stack) is
// a problem here, not a surprise at run time.
func (l *loader) link() {
	arns := l.arns()
	buckets := map[string]*Bucket{}
	for _, b := range l.st.Buckets {
		buckets[b.Name] = b
	}
	for _, f := range l.st.Functions {
		l.s3Events(f, buckets)
		l.destinations(f, arns)
	}
	for _, b := range l.st.Buckets {
		l.notifications(b, arns)
	}
	l.linkBuckets(buckets)
	l.linkAPIs()
	l.linkTopics()
	for _, p := range l.st.Permissions {
		p.Function = l.functionNamed(p.Props.FunctionName)
		if p.Function == nil && !l.authorizerFunction(p.Props.FunctionName) {
			l.problemf(l.propLine(p.Resource, "FunctionName"), "%s: FunctionName %q is not a function of this template", p.LogicalID, p.Props.FunctionName)
		}
	}
	for _, ru := range l.st.Rules {
		for i, t := range ru.Props.Targets {
			if arns[t.Arn] == nil {
				l.problemf(l.propLine(ru.Resource, "Targets"), "%s: Targets[%d].Arn %s is not a resource of this template", ru.LogicalID, i, t.Arn)
			}
		}
	}
	for _, a := range l.st.Alarms {
		for _, list := range [][]string{a.Props.AlarmActions, a.Props.OKActions, a.Props.InsufficientDataActions} {
			for _, arn := range list {
				if r := arns[arn]; r == nil || r.Type != "AWS::SNS::Topic" {
					l.problemf(l.propLine(a.Resource, "AlarmActions"), "%s: alarm action %s is not a topic of this template", a.LogicalID, arn)
				}
			}
		}
	}
}

// linkBuckets gives each bucket its policies and the bucket its access
// logs go to; both must be buckets of the stack.
func (l *loader) linkBuckets(buckets map[string]*Bucket) {
	for _, r := range l.st.Resources {
		if p, ok := r.Typed.(*BucketPolicy); ok {
			if p.Bucket = buckets[p.Props.Bucket]; p.Bucket == nil {
				l.problemf(l.propLine(r, "Bucket"), "%s: Bucket %q is not a bucket of this template", r.LogicalID, p.Props.Bucket)
				continue
			}
			p.Bucket.Policies = append(p.Bucket.Policies, p)
		}
	}
	for _, b := range l.st.Buckets {
		c := b.Props.LoggingConfiguration
		if c == nil {
			continue
		}
		switch b.LogsTo = buckets[c.DestinationBucketName]; b.LogsTo {
		case nil:
			l.problemf(l.propLine(b.Resource, "LoggingConfiguration"), "%s: LoggingConfiguration.DestinationBucketName %q is not a bucket of this template", b.LogicalID, c.DestinationBucketName)
		case b:
			// S3 allows it, but every delivery is logged again, forever.
			l.problemf(l.propLine(b.Resource, "LoggingConfiguration"), "%s: a bucket that logs its access to itself logs its own log deliveries", b.LogicalID)
		}
	}
}

// authorizerFunction says whether fn is an API authorizer's function: it
// may live outside the stack, as a deployer's authorizer does.
func (l *loader) authorizerFunction(fn string) bool {
	for _, a := range l.st.APIs {
		for _, au := range a.Authorizers {
			if au.FunctionARN == fn {
				return true
			}
		}
	}
	return false
}

// arns maps the ARN of every resource that has one to the resource.
func (l *loader) arns() map[string]*Resource {
	m := map[string]*Resource{}
	for _, r := range l.st.Resources {
		for _, k := range []string{"Arn", "TopicArn"} {
			if a := r.Attrs[k]; a != "" {
				m[a] = r
			}
		}
		if r.Type == "AWS::Serverless::StateMachine" || r.Type == "AWS::SecretsManager::Secret" {
			m[r.Ref] = r
		}
	}
	return m
}

func (l *loader) functionNamed(name string) *Function {
	for _, f := range l.st.Functions {
		if f.Name == name || f.ARN == name {
			return f
		}
	}
	return nil
}

// destinations checks that asynchronous invocation's destinations are
// resources of the stack: the local cloud delivers to them.
func (l *loader) destinations(f *Function, arns map[string]*Resource) {
	c := f.Props.EventInvokeConfig
	if c == nil || c.DestinationConfig == nil {
		return
	}
	want := map[string]string{"SQS": "AWS::SQS::Queue", "SNS": "AWS::SNS::Topic", "Lambda": "AWS::Serverless::Function"}
	for _, d := range []*Destination{c.DestinationConfig.OnSuccess, c.DestinationConfig.OnFailure} {
		if d == nil || d.Destination == "" {
			continue
		}
		r := arns[d.Destination]
		if r == nil || (want[d.Type] != "" && r.Type != want[d.Type]) {
			what := want[d.Type]
			if what == "" {
				what = "resource"
			}
			l.problemf(l.propLine(f.Resource, "EventInvokeConfig.DestinationConfig"), "%s: destination %s is not an %s of this template", f.LogicalID, d.Destination, what)
		}
	}
}

// integrationURI extracts the function ARN of a Lambda proxy integration.
var integrationURI = regexp.MustCompile(`^arn:[^:]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(arn:[^/]+)/invocations$`)

func (l *loader) linkAPIs() {
	apis := map[string]*API{}
	for _, a := range l.st.APIs {
		apis[a.ID] = a
	}
	api := func(r *Resource, id string) *API {
		a := apis[id]
		if a == nil {
			l.problemf(l.propLine(r, "ApiId"), "%s: ApiId %q is not an AWS::ApiGatewayV2::Api of this template", r.LogicalID, id)
		}
		return a
	}
	integrations := map[string]*Integration{}
	authorizers := map[string]*Authorizer{}
	routes := map[string]*Route{}
	var responses []*RouteResponse
	for _, r := range l.st.Resources {
		switch t := r.Typed.(type) {
		case *Integration:
			if t.API = api(r, t.Props.ApiId); t.API == nil {
				continue
			}
			t.API.Integrations = append(t.API.Integrations, t)
			integrations[t.API.ID+"/"+t.ID] = t
			t.FunctionARN = t.Props.IntegrationUri
			if m := integrationURI.FindStringSubmatch(t.Props.IntegrationUri); m != nil {
				t.FunctionARN = m[1]
			}
			if t.Function = l.st.byARN[t.FunctionARN]; t.Function == nil {
				l.problemf(l.propLine(r, "IntegrationUri"), "%s: IntegrationUri %s does not invoke a function of this template", r.LogicalID, t.Props.IntegrationUri)
			}
		case *Authorizer:
			if t.API = api(r, t.Props.ApiId); t.API == nil {
				continue
			}
			t.API.Authorizers = append(t.API.Authorizers, t)
			authorizers[t.API.ID+"/"+t.ID] = t
		case *Route:
			if t.API = api(r, t.Props.ApiId); t.API == nil {
				continue
			}
			if t.API.Route(t.Props.RouteKey) != nil {
				l.problemf(l.propLine(r, "RouteKey"), "%s: route key %s is declared twice", r.LogicalID, t.Props.RouteKey)
			}
			t.API.Routes = append(t.API.Routes, t)
			routes[t.API.ID+"/"+t.ID] = t
		case *RouteResponse:
			responses = append(responses, t)
		case *Stage:
			if t.API = api(r, t.Props.ApiId); t.API != nil {
				t.API.Stages = append(t.API.Stages, t)
			}
		}
	}
	// Targets and route responses may name resources declared after them.
	for _, a := range l.st.APIs {
		for _, rt := range a.Routes {
			if id := rt.Props.AuthorizerId; id != "" {
				if rt.Authorizer = authorizers[a.ID+"/"+id]; rt.Authorizer == nil {
					l.problemf(l.propLine(rt.Resource, "AuthorizerId"), "%s: AuthorizerId %q is not an authorizer of API %s", rt.LogicalID, id, a.LogicalID)
				}
			}
			if rt.Props.Target == "" {
				continue
			}
			id, ok := strings.CutPrefix(rt.Props.Target, "integrations/")
			if rt.Integration = integrations[a.ID+"/"+id]; !ok || rt.Integration == nil {
				l.problemf(l.propLine(rt.Resource, "Target"), "%s: Target %q is not integrations/<an integration of API %s>", rt.LogicalID, rt.Props.Target, a.LogicalID)
			}
		}
	}
	for _, rr := range responses {
		a := api(rr.Resource, rr.Props.ApiId)
		if a == nil {
			continue
		}
		if rr.Route = routes[a.ID+"/"+rr.Props.RouteId]; rr.Route == nil {
			l.problemf(l.propLine(rr.Resource, "RouteId"), "%s: RouteId %q is not a route of API %s", rr.LogicalID, rr.Props.RouteId, a.LogicalID)
			continue
		}
		rr.Route.Responses = append(rr.Route.Responses, rr)
	}
}

func (l *loader) linkTopics() {
	topics := map[string]*Topic{}
	for _, t := range l.st.Topics {
		topics[t.ARN] = t
	}
	for _, r := range l.st.Resources {
		switch t := r.Typed.(type) {
		case *Subscription:
			if t.Topic = topics[t.Props.TopicArn]; t.Topic == nil {
				l.problemf(l.propLine(r, "TopicArn"), "%s: TopicArn %s is not a topic of this template", r.LogicalID, t.Props.TopicArn)
				continue
			}
			t.Topic.Subscriptions = append(t.Topic.Subscriptions, t)
		case *TopicPolicy:
			for _, arn := range t.Props.Topics {
				tp := topics[arn]
				if tp == nil {
					l.problemf(l.propLine(r, "Topics"), "%s: %s is not a topic of this template", r.LogicalID, arn)
					continue
				}
				t.Topics = append(t.Topics, tp)
				tp.Policies = append(tp.Policies, t)
			}
		}
	}
}

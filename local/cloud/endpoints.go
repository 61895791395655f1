package cloud

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"thumbflow/local/stack"
)

// The one endpoint rule. The template builds some AWS endpoints itself,
// such as CONNECTIONS_ENDPOINT, https://{api}.execute-api.{region}.
// amazonaws.com/{stage}, and the model keeps them in their AWS form, so a
// function sees the value it sees on AWS. Handlers must not know where
// they run, so the rule lives at the edge, in the AWS configuration the
// local cloud gives its functions: a request an SDK client of a function
// addresses to an AWS host that the stack declares goes to the local
// endpoint instead, path kept, and is signed for the local host (the
// endpoint refuses a Host that is not loopback). A request to any other
// AWS host fails, so a local run never reaches real AWS.

// awsHosts maps the AWS hosts the stack declares to the local endpoint's.
type awsHosts struct {
	suffix string            // ".amazonaws.com": what marks an AWS host
	local  *url.URL          // the local endpoint
	hosts  map[string]string // AWS host → what it is, for messages
}

func newAWSHosts(st *stack.Stack, endpoint string) (*awsHosts, error) {
	local, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("local endpoint %q: %w", endpoint, err)
	}
	h := &awsHosts{suffix: "." + st.URLSuffix, local: local, hosts: map[string]string{}}
	for _, api := range st.APIs {
		// The host API Gateway gives a WebSocket API and its @connections
		// API: https://{api-id}.execute-api.{region}.{suffix}/{stage}.
		host := fmt.Sprintf("%s.execute-api.%s.%s", api.ID, st.Region, st.URLSuffix)
		h.hosts[host] = "WebSocket API " + api.LogicalID
	}
	return h, nil
}

// rewrite points u at the local endpoint when it names a declared AWS
// host, and refuses any other AWS host.
func (h *awsHosts) rewrite(u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	if !strings.HasSuffix(host, h.suffix) {
		return nil
	}
	if _, ok := h.hosts[host]; !ok {
		return fmt.Errorf("the local cloud has no endpoint for %s: only the hosts of the stack's own resources are served locally", host)
	}
	u.Scheme, u.Host = h.local.Scheme, h.local.Host
	return nil
}

// localEndpoints is an SDK middleware that applies the rule after the
// client has resolved its endpoint and before it signs the request, so the
// signature covers the local Host.
func (h *awsHosts) localEndpoints(s *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("thumbflow.LocalEndpoints", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			if err := h.rewrite(req.URL); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
		}
		return next.HandleFinalize(ctx, in)
	})
	return s.Finalize.Insert(mw, "ResolveEndpointV2", middleware.After)
}

// functionAWSConfig is what a function's role and region give it on AWS:
// here the local endpoint, the developer's credentials (until functions
// sign with roles of their own), and the endpoint rule above.
func (c *Cloud) functionAWSConfig() aws.Config {
	cfg := c.AWSConfig()
	cfg.APIOptions = append(cfg.APIOptions, c.hosts.localEndpoints)
	return cfg
}

package cloud

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfnapi "github.com/aws/aws-sdk-go-v2/service/sfn"

	"thumbflow/ops"
	"thumbflow/thumbnail"
	"thumbflow/web"
)

// operatorOutputs reads the stack outputs the operator page is configured
// with: the same ones an operator gives the CLI on AWS.
func (c *Cloud) operatorOutputs() (machine, records, output string, err error) {
	get := func(name string) string {
		v := c.Stack.Outputs[name]
		if v == "" && err == nil {
			err = fmt.Errorf("%s: the stack has no output %s, which the operator page reads", c.cfg.Template, name)
		}
		return v
	}
	return get(outputStateMachine), get(outputRecordsBucket), get(outputOutputBucket), err
}

// serve starts both servers: the AWS endpoint and the web client with its
// operator page.
func (c *Cloud) serve() {
	spec := thumbnail.DefaultSpec()
	renditions := make([]web.Rendition, len(spec.Renditions))
	for i, r := range spec.Renditions {
		renditions[i] = web.Rendition{Name: r.Name, Width: r.Width, Height: r.Height}
	}
	aws := c.endpoint()
	c.ready.Store(&aws)
	close(c.readyCh)
	site := http.NewServeMux()
	site.Handle("/", web.Handler(web.Config{
		WebsocketURL: c.WebSocketURL,
		MaxBytes:     spec.Limits.MaxBytes,
		Types:        thumbnail.AcceptedContentTypes(),
		Renditions:   renditions,
		S3Origins:    []string{c.Endpoint},
	}))
	// The operator page reads Step Functions and the records through
	// this server, which holds the local credentials; the page holds none.
	machine, records, output, _ := c.operatorOutputs()
	client := s3.NewFromConfig(c.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	states := sfnapi.NewFromConfig(c.AWSConfig())
	opsPage := ops.Handler(ops.Config{
		StepFunctions: states, Starter: states, Records: client, Presigner: s3.NewPresignClient(client),
		StateMachineARN: machine, RecordsBucket: records, OutputBucket: output, Logger: c.log.With("service", "ops"),
	})
	site.Handle("/ops", opsPage)
	site.Handle("/ops/", opsPage)
	c.webSrv = &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	go c.webSrv.Serve(c.webLn)
}

// serveAWS starts the AWS endpoint before the rest of the cloud is built:
// functions read their secrets at cold start. Until serve marks the cloud
// ready, only Secrets Manager answers; other requests wait for it, as they
// waited in the listen queue before (a resumed execution's first call can
// come that early).
func (c *Cloud) serveAWS() {
	secrets := loopbackOnly(c.access(), c.Secrets)
	// No ReadTimeout: it would cut off large uploads on slow links, and its
	// deadline outlives the WebSocket upgrade's hijack.
	c.awsSrv = &http.Server{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.Secrets.Matches(r) {
				secrets.ServeHTTP(w, r)
				return
			}
			select {
			case <-c.readyCh:
				(*c.ready.Load()).ServeHTTP(w, r)
			case <-r.Context().Done():
			case <-c.stop:
				http.Error(w, "the local cloud stopped while starting", http.StatusServiceUnavailable)
			}
		})}
	go c.awsSrv.Serve(c.awsLn)
}

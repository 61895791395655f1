package stack_test

import (
	"fmt"
	"os"

	"thumbflow/local/stack"
)

// How local/cloud consumes the model: buckets with their CORS rules and
// notifications, functions with their environment and limits, the state
// machine's definition, the WebSocket routes.
func ExampleLoadFS() {
	st, err := stack.LoadFS(os.DirFS("../.."), "template.yaml", stack.Options{
		Parameters: stack.ParamFlag{"WebOrigin": "http://127.0.0.1:8080"},
		APIIDs:     map[string]string{"WebSocketApi": "local"},
	})
	if err != nil {
		fmt.Println(err) // every problem, "template.yaml:LINE: ..."
		return
	}
	for _, b := range st.Buckets {
		var methods []string
		if c := b.Props.CorsConfiguration; c != nil {
			methods = c.CorsRules[0].AllowedMethods
		}
		fmt.Println("bucket", b.Name, "versioned:", b.Versioned, "CORS methods:", methods)
		for _, n := range b.Notifications {
			fmt.Println("  notifies", n.Function.Name, "of", n.Event, "under", n.Prefix)
		}
	}
	for _, f := range st.Functions {
		fmt.Println("function", f.Name, f.Timeout, f.MemoryMB, "MB", len(f.Environment), "variables")
	}
	start := st.Function("StartFunction")
	fmt.Println("start's endpoint:", start.Environment["CONNECTIONS_ENDPOINT"])
	fmt.Println("start's failures go to:", start.Props.EventInvokeConfig.DestinationConfig.OnFailure.Destination)
	sm := st.StateMachine("ThumbnailStateMachine")
	fmt.Println("state machine", sm.ARN, sm.Type, len(sm.Definition) > 0)
	api := st.API("WebSocketApi")
	fmt.Println("api", api.ID, api.Props.RouteSelectionExpression, "stage", api.Stages[0].Name)
	for _, r := range api.Routes {
		fmt.Println("  route", r.Props.RouteKey, "→", r.Function().Name, "two-way:", r.TwoWay())
	}
	// Output:
	// bucket thumbflow-uploads-0cec6011-c3ff-5d9d-d7e5-28dd791883f7 versioned: true CORS methods: [POST]
	//   notifies thumbflow-start of s3:ObjectCreated:* under uploads/
	// bucket thumbflow-output versioned: false CORS methods: [GET HEAD]
	// bucket thumbflow-records versioned: false CORS methods: [GET HEAD]
	// bucket thumbflow-access-logs versioned: false CORS methods: []
	// function thumbflow-start 10s 256 MB 3 variables
	// function thumbflow-convert 30s 1536 MB 3 variables
	// function thumbflow-status 10s 256 MB 2 variables
	// function thumbflow-web-socket 10s 256 MB 6 variables
	// function thumbflow-sweep 2m0s 256 MB 5 variables
	// start's endpoint: https://local.execute-api.us-east-1.amazonaws.com/prod
	// start's failures go to: arn:aws:sqs:us-east-1:000000000000:thumbflow-start-failures
	// state machine arn:aws:states:us-east-1:000000000000:stateMachine:thumbnail STANDARD true
	// api local $request.body.action stage prod
	//   route $connect → thumbflow-web-socket two-way: false
	//   route $disconnect → thumbflow-web-socket two-way: false
	//   route $default → thumbflow-web-socket two-way: true
	//   route upload → thumbflow-web-socket two-way: true
	//   route subscribe → thumbflow-web-socket two-way: true
}

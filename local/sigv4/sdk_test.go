package sigv4

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// TestSDKClientsOfOtherServices drives Verify with the real SDK clients the
// local Step Functions and @connections endpoints will receive, including a
// connection ID that needs escaping in the path.
func TestSDKClientsOfOtherServices(t *testing.T) {
	v := NewVerifier("test", "test", "us-east-1")
	var lastErr error
	var lastBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service := "states"
		if r.Header.Get("X-Amz-Target") == "" {
			service = "execute-api"
		}
		lastErr = v.Verify(r, service)
		if lastErr != nil {
			e := wantErr(t, lastErr)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
			return
		}
		b, _ := io.ReadAll(r.Body)
		lastBody = string(b)
		if service == "states" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			io.WriteString(w, `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:m:e","startDate":1.7e9}`)
		}
	}))
	defer srv.Close()
	creds := func(secret string) aws.CredentialsProvider {
		return credentials.NewStaticCredentialsProvider("test", secret, "")
	}

	sf := sfn.New(sfn.Options{Region: "us-east-1", Credentials: creds("test"), BaseEndpoint: aws.String(srv.URL)})
	if _, err := sf.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:m"), Input: aws.String(`{"key":"a b/ü.jpg"}`),
	}); err != nil || lastErr != nil {
		t.Fatalf("sfn StartExecution: %v / %v", err, lastErr)
	}
	if lastBody == "" {
		t.Error("handler could not read the body after Verify")
	}

	gw := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{Region: "us-east-1", Credentials: creds("test"), BaseEndpoint: aws.String(srv.URL + "/local")})
	if _, err := gw.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{
		ConnectionId: aws.String("Yx1/b+c=="), Data: []byte(`{"status":"done"}`),
	}); err != nil || lastErr != nil {
		t.Fatalf("PostToConnection: %v / %v", err, lastErr)
	}

	bad := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{Region: "us-east-1", Credentials: creds("wrong"), BaseEndpoint: aws.String(srv.URL)})
	_, err := bad.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("c1"), Data: []byte("x")})
	if err == nil || wantErr(t, lastErr).Code != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v / %v", err, lastErr)
	}
}

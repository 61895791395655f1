// Package pipeline holds the Lambda handlers the state machine runs: start
// (S3 event → execution), convert (original → renditions) and status
// (record and push a change). Each is a struct of narrow AWS client
// interfaces, so the same code runs on AWS and in `thumbflow dev`, with
// nothing but the endpoints changed.
package pipeline

// Package pipeline holds the Lambda handlers the state machine runs: start
// (S3 event → execution), convert (original → renditions) and status
// (record and push a change). They only translate Lambda events and task
// payloads into calls of the upload domain (upload.Starter,
// upload.Converter, upload.Publisher); the domain reaches AWS through the
// adapters in upload/s3store, upload/sfnexec and upload/wspush, so the same
// code runs on AWS and in `thumbflow dev`, with nothing but the endpoints
// changed.
package pipeline

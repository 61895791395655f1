// Package awsjson is the server side of the AWS JSON protocols (1.0 and
// 1.1) that the local Secrets Manager, SQS and EventBridge speak: POST
// only, a size limit applied before the signature is verified (so an
// unauthenticated client cannot make the server buffer more), SigV4
// verification under the service's signing name, dispatch on X-Amz-Target
// over an operations table, and errors rendered with the "__type" the SDKs
// map to their typed errors.
//
// It also carries the hook through which a service asks whether the
// verified caller may perform an action on a resource (IAM), so that each
// service only names the action, the resource and its own refusal code.
package awsjson

package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"thumbflow/thumbnail"
)

// Codes the pipeline adds to the converter's own (thumbnail.Codes).
// docs/protocol.md lists them all; they are part of the protocol and never
// change meaning.
const (
	// CodeContentTypeMismatch: the declared type and the bytes disagree.
	CodeContentTypeMismatch = "ContentTypeMismatch"
	// CodeTimeout: conversion kept exceeding its time limit.
	CodeTimeout = "Timeout"
	// CodeInvalidTaskInput: a step was handed input the start function
	// never builds (a hand-made execution, or a bug). Retrying cannot help,
	// and the file is not to blame.
	CodeInvalidTaskInput = "InvalidTaskInput"
	// CodeAccessDenied: a step was refused by IAM (a policy lacks a grant,
	// a bad deploy). Retrying cannot help until an operator fixes it.
	CodeAccessDenied = "AccessDenied"
	// CodeInternal: anything else; the user can only try again later, and
	// the operator has the details in the failure record.
	CodeInternal = "InternalError"
)

// Kind says who can act on a failure, which decides who hears of it: a
// user rejection is the user's to fix and is only counted, a system
// failure is ours and pages the operator.
type Kind string

const (
	KindUser   Kind = "user"
	KindSystem Kind = "system"
)

// userCodes are the failures caused by the file the user sent. Their
// messages were written for the user by the code that raised them.
var userCodes = append(thumbnail.Codes(), CodeContentTypeMismatch)

// KindOf returns the kind of a failure code. Every code that is not a
// user rejection is a system failure, so a new or unknown code pages
// rather than hides.
func KindOf(code string) Kind {
	if slices.Contains(userCodes, code) {
		return KindUser
	}
	return KindSystem
}

// PermanentCodes lists the codes that are never worth a retry, for the
// ASL test that checks the Retry rules against them: every user rejection
// (the same bytes fail the same way), a malformed task input and a
// permission refusal.
func PermanentCodes() []string {
	return append(slices.Clone(userCodes), CodeInvalidTaskInput, CodeAccessDenied)
}

const (
	internalMessage = "We could not convert this image because of a problem on our side. The original is kept; please try again later."
	timeoutMessage  = "Converting this image took too long, even after retrying. Try a smaller image, or try again later."
)

// TaskError is a Step Functions error name and cause, as a Catch hands
// them over. Operators read it in the failure record; users never see it.
type TaskError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// DescribeError turns a Step Functions error name and cause (as a Catch
// hands them over) into what the user is told. Only messages written for
// users pass through; anything else becomes a generic message, so that no
// stack trace or internal detail reaches a browser.
func DescribeError(name, cause string) Failure {
	if KindOf(name) == KindUser {
		var payload struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal([]byte(cause), &payload) == nil && payload.ErrorMessage != "" {
			return Failure{Code: name, Message: payload.ErrorMessage, Kind: KindUser}
		}
		return Failure{Code: name, Message: strings.TrimSpace(cause), Kind: KindUser}
	}
	switch name {
	case "States.Timeout", "Sandbox.Timedout":
		return Failure{Code: CodeTimeout, Message: timeoutMessage, Kind: KindSystem}
	case CodeInvalidTaskInput, CodeAccessDenied:
		return Failure{Code: name, Message: internalMessage, Kind: KindSystem}
	}
	return Failure{Code: CodeInternal, Message: internalMessage, Kind: KindSystem}
}

// ContentTypeMismatch is a user rejection: the browser declared one type
// and sent another. Its Go type name is the Step Functions error name
// (aws-lambda-go reports it as errorType), so the state machine's rules
// can name it.
type ContentTypeMismatch struct {
	Declared, Found string
}

func (e *ContentTypeMismatch) Error() string {
	return fmt.Sprintf("The file was sent as %s but is a %s image. Upload it again and let the browser declare its real type.", e.Declared, e.Found)
}

// InvalidTaskInput reports a task input that the start function never
// builds. Named as its code, like ContentTypeMismatch.
type InvalidTaskInput struct {
	Reason string
}

func (e *InvalidTaskInput) Error() string { return "invalid task input: " + e.Reason }

// ErrAccessDenied is what the storage adapters wrap a permission refusal
// in, so the domain can tell it from a passing fault without AWS types.
var ErrAccessDenied = errors.New("access denied")

// AccessDenied reports a step refused by IAM: a system failure, never
// retried, named as its code like the other typed errors.
type AccessDenied struct {
	Op  string
	Err error
}

func (e *AccessDenied) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *AccessDenied) Unwrap() error { return e.Err }

// storageError types an adapter's error for the state machine: a
// permission refusal is permanent, anything else is worth a retry.
func storageError(op string, err error) error {
	if errors.Is(err, ErrAccessDenied) {
		return &AccessDenied{Op: op, Err: err}
	}
	return &thumbnail.TransientError{Op: op, Err: err}
}

// RejectedPrefix starts the error name of an execution that ended as a
// user rejection: statemachine/thumbnail.asl.json's Rejected state names
// it "Rejected.<code>", and template.yaml's alert rule excludes the
// prefix.
const RejectedPrefix = "Rejected."

// KindOfExecution classifies an ended execution by its status and error
// name, as the alert rule does: a FAILED execution named Rejected.<code>
// is a user rejection of that code; any other failure, a timeout or an
// abort is a system failure. ok is false for a running or succeeded one.
func KindOfExecution(status, errName string) (kind Kind, code string, ok bool) {
	switch status {
	case "FAILED":
		if c, rejected := strings.CutPrefix(errName, RejectedPrefix); rejected {
			return KindUser, c, true
		}
		return KindSystem, errName, true
	case "TIMED_OUT", "ABORTED":
		return KindSystem, status, true
	}
	return "", "", false
}

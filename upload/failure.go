package upload

import (
	"encoding/json"
	"strings"
)

// Codes the pipeline adds to the converter's own (EmptyFile, FileTooLarge,
// UnsupportedFormat, CorruptImage, ImageTooLarge). docs/protocol.md lists
// them all; they are part of the protocol and never change meaning.
const (
	// CodeContentTypeMismatch: the declared type and the bytes disagree.
	CodeContentTypeMismatch = "ContentTypeMismatch"
	// CodeTimeout: conversion kept exceeding its time limit.
	CodeTimeout = "Timeout"
	// CodeInternal: anything else; the user can only try again later, and
	// the operator has the details in the failure record.
	CodeInternal = "InternalError"
)

const (
	internalMessage = "We could not convert this image because of a problem on our side. The original is kept; please try again later."
	timeoutMessage  = "Converting this image took too long, even after retrying. Try a smaller image, or try again later."
)

// permanentCodes are the errors whose message was written for the user by
// the code that raised it.
var permanentCodes = map[string]bool{
	"EmptyFile":             true,
	"FileTooLarge":          true,
	"UnsupportedFormat":     true,
	"CorruptImage":          true,
	"ImageTooLarge":         true,
	CodeContentTypeMismatch: true,
}

// PermanentCodes lists the codes that are never worth a retry, for the
// ASL test that checks the Retry rules against them.
func PermanentCodes() []string {
	codes := make([]string, 0, len(permanentCodes))
	for c := range permanentCodes {
		codes = append(codes, c)
	}
	return codes
}

// DescribeError turns a Step Functions error name and cause (as a Catch
// hands them over) into what the user is told. Only messages written for
// users pass through; anything else becomes a generic message, so that no
// stack trace or internal detail reaches a browser.
func DescribeError(name, cause string) Failure {
	if permanentCodes[name] {
		var payload struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal([]byte(cause), &payload) == nil && payload.ErrorMessage != "" {
			return Failure{Code: name, Message: payload.ErrorMessage}
		}
		return Failure{Code: name, Message: strings.TrimSpace(cause)}
	}
	switch name {
	case "States.Timeout", "Sandbox.Timedout":
		return Failure{Code: CodeTimeout, Message: timeoutMessage}
	}
	return Failure{Code: CodeInternal, Message: internalMessage}
}

package awsjson

import (
	"log/slog"
	"time"
)

// Default region and account of the local services.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// Defaults fills the options every local service shares when they are
// unset: the logger (slog.Default), the clock (time.Now), the region and
// the account ID.
func Defaults(logger **slog.Logger, now *func() time.Time, region, accountID *string) {
	if *logger == nil {
		*logger = slog.Default()
	}
	if *now == nil {
		*now = time.Now
	}
	if *region == "" {
		*region = DefaultRegion
	}
	if *accountID == "" {
		*accountID = DefaultAccountID
	}
}

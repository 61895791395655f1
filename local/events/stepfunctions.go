package events

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"thumbflow/local/sfn"
)

// DetailType and Source of the events Step Functions sends on every
// change of an execution's status; template.yaml's ExecutionFailedRule
// matches them.
const (
	StatusChangeDetailType = "Step Functions Execution Status Change"
	StatusChangeSource     = "aws.states"
)

// StatusChangeDetail is the event's detail as Step Functions sends it:
// dates in epoch milliseconds, input and output as JSON text, absent
// values as null. It is the shape the local cloud has always delivered to webhooks,
// so a receiver written for it keeps working.
type StatusChangeDetail struct {
	ExecutionARN        string          `json:"executionArn"`
	StateMachineARN     string          `json:"stateMachineArn"`
	Name                string          `json:"name"`
	Status              string          `json:"status"`
	StartDate           int64           `json:"startDate"`
	StopDate            *int64          `json:"stopDate"`
	Input               *string         `json:"input"`
	InputDetails        map[string]bool `json:"inputDetails"`
	Output              *string         `json:"output"`
	OutputDetails       map[string]bool `json:"outputDetails"`
	Error               *string         `json:"error"`
	Cause               *string         `json:"cause"`
	RedriveCount        int             `json:"redriveCount"`
	RedriveStatus       string          `json:"redriveStatus"`
	RedriveStatusReason string          `json:"redriveStatusReason"`
}

// StatusChange renders an execution's status as the event EventBridge
// receives from Step Functions. Its id derives from the execution and the
// status, so a receiver can discard a repeated delivery by id
// (EventBridge delivers at least once).
func StatusChange(s sfn.ExecutionSummary, region, account string, now time.Time) Event {
	detail, _ := json.Marshal(NewStatusChangeDetail(s))
	return Event{
		Version: "0", ID: stableID(s.ExecutionARN, s.Status), DetailType: StatusChangeDetailType, Source: StatusChangeSource,
		Account: account, Time: now.UTC().Format(time.RFC3339), Region: region,
		Resources: []string{s.ExecutionARN}, Detail: detail,
	}
}

// NewStatusChangeDetail is the detail of an execution's status change.
func NewStatusChangeDetail(s sfn.ExecutionSummary) StatusChangeDetail {
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	d := StatusChangeDetail{
		ExecutionARN: s.ExecutionARN, StateMachineARN: s.StateMachineARN, Name: s.Name, Status: s.Status,
		StartDate: s.StartDate.UnixMilli(), Input: str(string(s.Input)), InputDetails: map[string]bool{"included": true},
		Error: str(s.Error), Cause: str(s.Cause),
		RedriveStatus: "NOT_REDRIVABLE",
		// Failed executions are redrivable on AWS for 14 days, but the
		// local engine has no RedriveExecution, so the truthful answer
		// here is "not redrivable", with the reason.
		RedriveStatusReason: "The local Step Functions engine does not redrive executions",
	}
	if !s.StopDate.IsZero() {
		ms := s.StopDate.UnixMilli()
		d.StopDate = &ms
	}
	switch s.Status {
	case "SUCCEEDED":
		d.Output = str(string(s.Output))
		d.OutputDetails = map[string]bool{"included": true}
		d.RedriveStatusReason = "Execution is SUCCEEDED and cannot be redriven"
	case "RUNNING":
		d.RedriveStatusReason = "Execution is RUNNING and cannot be redriven"
	}
	return d
}

// stableID is a UUID-shaped hash of what makes an event unique.
func stableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ObserveExecution sends the execution's status change to the default
// bus; it is what sfn.Service.OnExecutionEnd takes.
func (s *Service) ObserveExecution(sum sfn.ExecutionSummary) {
	s.Put(StatusChange(sum, s.opts.Region, s.opts.AccountID, s.opts.Now()))
}

// randomPart makes PutEvents' ids unique for identical entries.
func randomPart() string {
	var b [8]byte
	rand.Read(b[:])
	return string(b[:])
}

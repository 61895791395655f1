package sfn

import (
	"encoding/json"
	"math"
	"time"

	"thumbflow/local/asl"
)

// epoch is a timestamp as AWS JSON 1.0 carries it: seconds since the epoch.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(float64(time.Time(t).UnixNano())/1e6) / 1e3)
}

// Request and response shapes, with the API's member names.
type (
	CreateStateMachineInput struct {
		Name               string `json:"name"`
		Definition         string `json:"definition"`
		RoleARN            string `json:"roleArn"`
		Type               string `json:"type"`
		Tags               []Tag  `json:"tags"`
		Publish            bool   `json:"publish"`
		VersionDescription string `json:"versionDescription"`
	}
	CreateStateMachineOutput struct {
		StateMachineARN        string `json:"stateMachineArn"`
		CreationDate           epoch  `json:"creationDate"`
		StateMachineVersionARN string `json:"stateMachineVersionArn,omitempty"`
	}
	DescribeStateMachineOutput struct {
		StateMachineARN      string         `json:"stateMachineArn"`
		Name                 string         `json:"name"`
		Status               string         `json:"status"`
		Definition           string         `json:"definition"`
		RoleARN              string         `json:"roleArn"`
		Type                 string         `json:"type"`
		CreationDate         epoch          `json:"creationDate"`
		LoggingConfiguration map[string]any `json:"loggingConfiguration"`
		TracingConfiguration map[string]any `json:"tracingConfiguration"`
		RevisionID           string         `json:"revisionId,omitempty"`
		Description          string         `json:"description,omitempty"`
	}
	UpdateStateMachineInput struct {
		StateMachineARN      string          `json:"stateMachineArn"`
		Definition           *string         `json:"definition"`
		RoleARN              *string         `json:"roleArn"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Publish              bool            `json:"publish"`
		VersionDescription   string          `json:"versionDescription"`
	}
	UpdateStateMachineOutput struct {
		UpdateDate             epoch  `json:"updateDate"`
		RevisionID             string `json:"revisionId,omitempty"`
		StateMachineVersionARN string `json:"stateMachineVersionArn,omitempty"`
	}
	PublishStateMachineVersionInput struct {
		StateMachineARN string  `json:"stateMachineArn"`
		RevisionID      *string `json:"revisionId"`
		Description     string  `json:"description"`
	}
	PublishStateMachineVersionOutput struct {
		CreationDate           epoch  `json:"creationDate"`
		StateMachineVersionARN string `json:"stateMachineVersionArn"`
	}
	ListStateMachineVersionsInput struct {
		StateMachineARN string `json:"stateMachineArn"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	StateMachineVersionListItem struct {
		StateMachineVersionARN string `json:"stateMachineVersionArn"`
		CreationDate           epoch  `json:"creationDate"`
	}
	ListStateMachineVersionsOutput struct {
		StateMachineVersions []StateMachineVersionListItem `json:"stateMachineVersions"`
		NextToken            string                        `json:"nextToken,omitempty"`
	}
	DescribeStateMachineForExecutionOutput struct {
		StateMachineARN      string         `json:"stateMachineArn"`
		Name                 string         `json:"name"`
		Definition           string         `json:"definition"`
		RoleARN              string         `json:"roleArn"`
		UpdateDate           epoch          `json:"updateDate"`
		RevisionID           string         `json:"revisionId,omitempty"`
		LoggingConfiguration map[string]any `json:"loggingConfiguration"`
		TracingConfiguration map[string]any `json:"tracingConfiguration"`
	}
	Tag struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	TagResourceInput struct {
		ResourceARN string `json:"resourceArn"`
		Tags        []Tag  `json:"tags"`
	}
	UntagResourceInput struct {
		ResourceARN string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	ListTagsForResourceOutput struct {
		Tags []Tag `json:"tags"`
	}
	StateMachineListItem struct {
		StateMachineARN string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		CreationDate    epoch  `json:"creationDate"`
	}
	ListStateMachinesOutput struct {
		StateMachines []StateMachineListItem `json:"stateMachines"`
		NextToken     string                 `json:"nextToken,omitempty"`
	}
	StartExecutionInput struct {
		StateMachineARN string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Input           *string `json:"input"`
	}
	StartExecutionOutput struct {
		ExecutionARN string `json:"executionArn"`
		StartDate    epoch  `json:"startDate"`
	}
	// DescribeExecutionOutput begins with the members of a listed
	// execution, in the same order.
	DescribeExecutionOutput struct {
		ExecutionListItem
		Input                  string          `json:"input"`
		InputDetails           map[string]bool `json:"inputDetails"`
		Output                 *string         `json:"output,omitempty"`
		OutputDetails          map[string]bool `json:"outputDetails,omitempty"`
		Error                  string          `json:"error,omitempty"`
		Cause                  string          `json:"cause,omitempty"`
		RedriveStatus          string          `json:"redriveStatus"`
		RedriveStatusReason    string          `json:"redriveStatusReason,omitempty"`
		StateMachineVersionARN string          `json:"stateMachineVersionArn,omitempty"`
	}
	ExecutionListItem struct {
		ExecutionARN    string `json:"executionArn"`
		StateMachineARN string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		StartDate       epoch  `json:"startDate"`
		StopDate        *epoch `json:"stopDate,omitempty"`
		RedriveCount    int    `json:"redriveCount"`
		RedriveDate     *epoch `json:"redriveDate,omitempty"`
	}
	ListExecutionsInput struct {
		StateMachineARN string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	ListExecutionsOutput struct {
		Executions []ExecutionListItem `json:"executions"`
		NextToken  string              `json:"nextToken,omitempty"`
	}
	GetExecutionHistoryInput struct {
		ExecutionARN         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	GetExecutionHistoryOutput struct {
		Events    []asl.Event `json:"events"`
		NextToken string      `json:"nextToken,omitempty"`
	}
	StopExecutionInput struct {
		ExecutionARN string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	StopExecutionOutput struct {
		StopDate epoch `json:"stopDate"`
	}
)

package sqs

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"thumbflow/local/awsjson"
)

// BatchResultErrorEntry is a failed entry of a batch.
type BatchResultErrorEntry struct {
	Id, Code, Message string
	SenderFault       bool
}

// checkBatch refuses what SQS refuses for any batch: no entries, more
// than ten, or repeated ids.
func checkBatch(ids []string) error {
	if len(ids) == 0 {
		return &awsjson.Error{Code: "EmptyBatchRequest", Message: "There should be at least one entry in the request.", Status: http.StatusBadRequest, QueryError: "AWS.SimpleQueueService.EmptyBatchRequest;Sender"}
	}
	if len(ids) > 10 {
		return &awsjson.Error{Code: "TooManyEntriesInBatchRequest", Message: "Maximum number of entries per request are 10.", Status: http.StatusBadRequest, QueryError: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender"}
	}
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return &awsjson.Error{Code: "BatchEntryIdsNotDistinct", Message: "Id " + id + " repeated.", Status: http.StatusBadRequest, QueryError: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender"}
		}
	}
	return nil
}

// batch refuses what checkBatch refuses, then finds the queue ref names,
// asks IAM about action on it and runs fn on it with s.mu held.
func (s *Service) batch(ctx context.Context, ref, action string, ids []string, fn func(q *queue) error) error {
	if err := checkBatch(ids); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queueFor(ctx, ref, action)
	if err != nil {
		return err
	}
	return fn(q)
}

func failedEntry(id string, err error) BatchResultErrorEntry {
	var e *awsjson.Error
	if errors.As(err, &e) {
		return BatchResultErrorEntry{Id: id, Code: e.Code, Message: e.Message, SenderFault: e.Status < 500}
	}
	return BatchResultErrorEntry{Id: id, Code: "InternalError", Message: err.Error()}
}

// SendMessageBatch sends up to ten messages; each entry succeeds or fails
// on its own.
func (s *Service) SendMessageBatch(ctx context.Context, in struct {
	QueueUrl string
	Entries  []struct {
		Id string
		SendMessageInput
	}
}) (struct {
	Successful []struct {
		Id string
		SendMessageOutput
	}
	Failed []BatchResultErrorEntry
}, error) {
	var out struct {
		Successful []struct {
			Id string
			SendMessageOutput
		}
		Failed []BatchResultErrorEntry
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	err := s.batch(ctx, in.QueueUrl, "SendMessage", ids, func(q *queue) error {
		for _, e := range in.Entries {
			res, err := s.send(q, e.SendMessageInput)
			if err != nil {
				out.Failed = append(out.Failed, failedEntry(e.Id, err))
				continue
			}
			out.Successful = append(out.Successful, struct {
				Id string
				SendMessageOutput
			}{e.Id, res})
		}
		return nil
	})
	return out, err
}

// DeleteMessageBatch deletes up to ten messages by receipt handle.
func (s *Service) DeleteMessageBatch(ctx context.Context, in struct {
	QueueUrl string
	Entries  []struct{ Id, ReceiptHandle string }
}) (struct {
	Successful []struct{ Id string }
	Failed     []BatchResultErrorEntry
}, error) {
	var out struct {
		Successful []struct{ Id string }
		Failed     []BatchResultErrorEntry
	}
	var ids []string
	for _, e := range in.Entries {
		ids = append(ids, e.Id)
	}
	err := s.batch(ctx, in.QueueUrl, "DeleteMessage", ids, func(q *queue) error {
		for _, e := range in.Entries {
			_, id, ok := strings.Cut(e.ReceiptHandle, ":")
			if !ok {
				out.Failed = append(out.Failed, BatchResultErrorEntry{Id: e.Id, Code: "ReceiptHandleIsInvalid", Message: "The input receipt handle is not a valid receipt handle.", SenderFault: true})
				continue
			}
			q.Messages = slices.DeleteFunc(q.Messages, func(m *message) bool { return m.ID == id })
			out.Successful = append(out.Successful, struct{ Id string }{e.Id})
		}
		return s.save(q)
	})
	return out, err
}

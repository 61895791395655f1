package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"thumbflow/upload"
	"thumbflow/upload/s3store"
)

func init() {
	commands["failures"] = command{summary: "list failed uploads: error code, message, attempts and the Step Functions error", run: runFailures}
}

func runFailures(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("failures", flag.ContinueOnError)
	var o opsFlags
	o.register(fs)
	sinceFlag := fs.String("since", "24h", "only uploads that failed within this long (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: thumbflow failures [-since 24h] [-json]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thumbflow failures: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	since, err := parseSince(*sinceFlag)
	if err != nil {
		fmt.Fprintf(stderr, "thumbflow failures: %v\n", err)
		return errUsage
	}
	c, err := newOpsClients(ctx)
	if err != nil {
		return err
	}
	recs, err := c.failures(ctx, o.recordsBucket, since, o.maxResults())
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(stdout, "no failures")
		return nil
	}
	w := table()
	fmt.Fprintln(w, "FAILED AT (UTC)\tUPLOAD\tCODE\tATTEMPTS\tMESSAGE\tSTEP FUNCTIONS ERROR")
	for _, f := range recs {
		code, msg := "-", ""
		if f.Error != nil {
			code, msg = f.Error.Code, f.Error.Message
		}
		sfnErr := f.StepFunctionsError
		if f.StepFunctionsCause != "" {
			sfnErr += ": " + oneLine(readable(f.StepFunctionsCause), 80)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", clock(f.UpdatedAt), f.UploadID, code, f.Attempt, oneLine(msg, 80), sfnErr)
	}
	return w.Flush()
}

// failures reads every failure record in the bucket, newest first. The
// keys say nothing about time, so every page is listed and the records'
// own times are compared with since.
func (c *opsClients) failures(ctx context.Context, bucket string, since time.Duration, pageSize int32) ([]upload.FailureRecord, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(upload.FailurePrefix)}
	if pageSize > 0 {
		in.MaxKeys = aws.Int32(pageSize)
	}
	var cutoff time.Time
	if since > 0 {
		cutoff = time.Now().Add(-since)
	}
	store := &s3store.Store{Client: c.s3, Bucket: bucket}
	recs := []upload.FailureRecord{}
	p := s3.NewListObjectsV2Paginator(c.s3, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing failure records in s3://%s/%s: %w", bucket, upload.FailurePrefix, err)
		}
		for _, obj := range page.Contents {
			// LastModified is when the record was written: skip old
			// ones without reading them.
			if !cutoff.IsZero() && obj.LastModified != nil && obj.LastModified.Before(cutoff) {
				continue
			}
			id, ok := strings.CutSuffix(strings.TrimPrefix(aws.ToString(obj.Key), upload.FailurePrefix), ".json")
			if !ok || !upload.ValidID(id) {
				continue
			}
			f, found, err := store.GetFailure(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("reading the failure record of upload %s: %w", id, err)
			}
			if !found {
				continue // deleted since the listing
			}
			if !cutoff.IsZero() && f.UpdatedAt.Before(cutoff) {
				continue
			}
			recs = append(recs, f)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].UpdatedAt.After(recs[j].UpdatedAt) })
	return recs, nil
}

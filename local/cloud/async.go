package cloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"thumbflow/local/cloudwatch"
	"thumbflow/local/lambda"
	"thumbflow/local/sqs"
	"thumbflow/local/stack"
)

// Lambda's asynchronous invocation, as S3 notifications use it: a failed
// event is retried MaximumRetryAttempts times (2 by default), about one
// minute after the first failure and two after the second, and then goes
// to the function's OnFailure destination. These are AWS's delays
// (Lambda's "Asynchronous invocation" documentation); the local cloud
// keeps them unless a test clock shortens them (shared decisions, "Local
// timing").
var asyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// defaultAsyncRetries is Lambda's MaximumRetryAttempts when the template
// sets none.
const defaultAsyncRetries = 2

// invokeAsync runs one asynchronous invocation of fn to its end: success,
// or every attempt failed and the failure recorded at its destination. It
// returns an error only when ctx ends first, so the caller (the S3 event
// outbox) delivers the event again after a restart.
func (c *Cloud) invokeAsync(ctx context.Context, fn *stack.Function, payload []byte) error {
	retries := defaultAsyncRetries
	cfg := fn.Props.EventInvokeConfig
	if cfg != nil && cfg.MaximumRetryAttempts != nil {
		retries = *cfg.MaximumRetryAttempts
	}
	var err error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			if serr := c.sleep(ctx, asyncRetryDelays[min(attempt, len(asyncRetryDelays))-1]); serr != nil {
				return serr
			}
		}
		if err = c.invokeUnthrottled(ctx, fn, payload); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("asynchronous invocation failed", "function", fn.Name, "attempt", attempt+1, "of", retries+1, "error", err)
	}
	return c.onFailure(fn, retries+1, payload, err)
}

// Lambda keeps a throttled asynchronous event in its queue and tries it
// again, from about 1 second after the first throttle to at most 5 minutes
// apart, for up to the event's maximum age (6 hours by default); a throttle
// is not one of the event's retry attempts ("Asynchronous invocation" and
// "Error handling" in the Lambda documentation).
const (
	asyncThrottleFirst = time.Second
	asyncThrottleMax   = 5 * time.Minute
	asyncMaxEventAge   = 6 * time.Hour
)

// invokeUnthrottled is one attempt of an asynchronous invocation: it
// waits out throttles as Lambda's event queue does, so only the function's
// own failure (or the event growing too old) reaches the caller.
func (c *Cloud) invokeUnthrottled(ctx context.Context, fn *stack.Function, payload []byte) error {
	maxAge := asyncMaxEventAge
	if cfg := fn.Props.EventInvokeConfig; cfg != nil && cfg.MaximumEventAgeInSeconds != nil {
		maxAge = time.Duration(*cfg.MaximumEventAgeInSeconds) * time.Second
	}
	delay := asyncThrottleFirst
	for waited := time.Duration(0); ; waited += delay {
		_, err := c.Lambdas.Invoke(ctx, fn.ARN, payload)
		if !lambda.Throttled(err) || waited >= maxAge {
			return err
		}
		if waited == 0 {
			c.log.Info("asynchronous invocation throttled; the event waits for a slot", "function", fn.Name)
		} else {
			delay = min(2*delay, asyncThrottleMax)
		}
		if err := c.sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// onFailure sends the record of an event whose every attempt failed to
// the function's OnFailure destination. Without one, Lambda drops the
// event; the local cloud logs it at ERROR so it is not silent.
func (c *Cloud) onFailure(fn *stack.Function, attempts int, payload []byte, last error) error {
	cfg := fn.Props.EventInvokeConfig
	if cfg == nil || cfg.DestinationConfig == nil || cfg.DestinationConfig.OnFailure == nil {
		c.log.Error("asynchronous invocation dropped after its retries: the function has no OnFailure destination",
			"function", fn.Name, "attempts", attempts, "error", last)
		return nil
	}
	dest := cfg.DestinationConfig.OnFailure
	if dest.Type != "SQS" {
		c.log.Error("asynchronous invocation failed; the local cloud delivers OnFailure records only to SQS",
			"function", fn.Name, "destination", dest.Destination, "error", last)
		return nil
	}
	id := make([]byte, 16)
	rand.Read(id)
	rec := sqs.NewFailureRecord(hex.EncodeToString(id), fn.ARN, attempts, payload, errorPayload(last), time.Now())
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode the failure record: %w", err)
	}
	if _, err := c.Queues.Enqueue(dest.Destination, string(body)); err != nil {
		return fmt.Errorf("send the failure record to %s: %w", dest.Destination, err)
	}
	c.log.Error("asynchronous invocation failed after its retries; its event is in the OnFailure queue",
		"function", fn.Name, "attempts", attempts, "queue", dest.Destination, "error", last)
	return nil
}

// errorPayload is the error as the function returned it, which Lambda
// puts in the record's responsePayload.
func errorPayload(err error) json.RawMessage {
	var fe *lambda.FunctionError
	if errors.As(err, &fe) && len(fe.Payload) > 0 {
		return fe.Payload
	}
	b, _ := json.Marshal(map[string]string{"errorMessage": fmt.Sprint(err), "errorType": "Runtime.Unknown"})
	return b
}

// sleep waits on the cloud's clock: real time, or a test's shorter one.
func (c *Cloud) sleep(ctx context.Context, d time.Duration) error {
	if c.cfg.Clock != nil {
		return c.cfg.Clock.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errors.New("the local cloud stopped")
	}
}

// buildQueues starts the local SQS with the stack's queues.
func (c *Cloud) buildQueues() error {
	var err error
	if c.Queues, err = sqs.New(sqs.Options{Dir: c.sub("sqs"), Verifier: c.verifier, Authorize: c.authorizeJSON,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "sqs")}); err != nil {
		return fmt.Errorf("local SQS: %w", err)
	}
	for _, q := range c.Stack.Queues {
		if _, err := c.Queues.CreateFromTemplate(sqs.FromStack(q)); err != nil {
			return c.refusal(q.Resource, "queue %s: %v", q.LogicalID, err)
		}
	}
	return nil
}

// buildAlarms starts the local CloudWatch with the stack's alarms, on the
// metrics the local services report: queue depth (AWS/SQS) and execution
// outcomes (AWS/States). It evaluates them every minute until the cloud
// closes; tests call Alarms.Evaluate. Their actions publish to the
// topics (buildTopics first), through the topic policy.
func (c *Cloud) buildAlarms() error {
	now := time.Now
	if c.cfg.Clock != nil {
		now = c.cfg.Clock.Now
	}
	c.Alarms = cloudwatch.New(cloudwatch.Options{Verifier: c.verifier, Authorize: c.authorizeJSON, Now: now,
		Region: c.cfg.Region, AccountID: c.cfg.AccountID, Logger: c.log.With("service", "cloudwatch"),
		Action: c.Topics.AlarmAction()})
	for _, q := range c.Stack.Queues {
		name := q.Name
		c.Alarms.AddGauge("AWS/SQS", "ApproximateNumberOfMessagesVisible", []cloudwatch.Dimension{{Name: "QueueName", Value: name}},
			func() (float64, error) {
				visible, _, err := c.Queues.Depth(name)
				return float64(visible), err
			})
	}
	for _, a := range c.Stack.Alarms {
		if err := c.Alarms.CreateFromTemplate(a); err != nil {
			return c.refusal(a.Resource, "alarm %s: %v", a.LogicalID, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.sweeper.Add(1)
	go func() {
		defer c.sweeper.Done()
		<-c.stop
		cancel()
	}()
	c.sweeper.Add(1)
	go func() {
		defer c.sweeper.Done()
		c.Alarms.Run(ctx)
	}()
	return nil
}

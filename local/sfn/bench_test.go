package sfn

import (
	"fmt"
	"testing"
	"time"

	"thumbflow/local/lambda"
)

// BenchmarkExecution measures the engine's cost per execution of a
// one-Task workflow: start, history recording, persistence and the end
// notification, with the real interpreter and an in-process function.
func BenchmarkExecution(b *testing.B) {
	for _, durable := range []bool{false, true} {
		b.Run(fmt.Sprintf("durable=%t", durable), func(b *testing.B) {
			reg := lambda.NewRegistry("", "")
			reg.Register("echo", func(in map[string]any) (map[string]any, error) { return in, nil }, lambda.FunctionOptions{})
			opts := Options{Invoker: reg, Logger: quiet}
			if durable {
				opts.DataDir = b.TempDir()
			}
			s, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ended := make(chan struct{}, 1)
			s.OnExecutionEnd(func(ExecutionSummary) { ended <- struct{}{} })
			sm, err := s.CreateStateMachine(CreateStateMachineInput{Name: "bench", RoleARN: role, Definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:echo","End":true}}}`})
			if err != nil {
				b.Fatal(err)
			}
			input := `{"uploadId":"u","key":"originals/u"}`
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, err := s.StartExecution(StartExecutionInput{StateMachineARN: sm.StateMachineARN, Name: fmt.Sprint("e", i), Input: &input}); err != nil {
					b.Fatal(err)
				}
				<-ended
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/execution")
		})
	}
}

package sfn

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// Reload is what WatchFile did with one edited definition file: published
// it as a new version, or refused it with AWS's diagnostics, leaving the
// previous version in service.
type Reload struct {
	File            string
	StateMachineARN string
	VersionARN      string       // set when the edit was published
	Diagnostics     []Diagnostic // set when the edit was refused
	Err             error        // set when the edit was refused
}

// every calls f at each tick of interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// WatchFile publishes edits of one definition file, read through fsys at
// path, as new versions of the machine named name (as UpdateStateMachine
// with publish does), until ctx ends. It is how the local cloud follows
// the files its template's DefinitionUri values name. deployed is the
// file's content as it was deployed: any other content is an edit.
func (s *Service) WatchFile(ctx context.Context, fsys fs.FS, path, name, roleARN string, subs map[string]string, deployed []byte, interval time.Duration, report func(Reload)) {
	seen := sha256.Sum256(deployed)
	every(ctx, interval, func() {
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return // being replaced: the next tick sees it
		}
		if sum := sha256.Sum256(b); sum != seen {
			seen = sum
			s.publishReload(s.reloadAs(path, name, string(b), roleARN, subs), report)
		}
	})
}

// publishReload logs the reload r and reports it, if report is set.
func (s *Service) publishReload(r Reload, report func(Reload)) {
	s.logReload(r)
	if report != nil {
		report(r)
	}
}

func (s *Service) logReload(r Reload) {
	if r.Err != nil {
		s.log.Error("state machine edit refused; the previous version stays in service", "file", r.File, "error", r.Err)
		return
	}
	s.log.Info("state machine edit published", "file", r.File, "version", r.VersionARN)
}

// reloadAs validates an edited definition and publishes it as the machine
// named name.
func (s *Service) reloadAs(path, name, content, roleARN string, subs map[string]string) Reload {
	arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.opts.Region, s.opts.AccountID, name)
	r := Reload{File: path, StateMachineARN: arn}
	def, err := Substitute(content, subs)
	if err != nil {
		r.Err = fmt.Errorf("%s: %w", path, err)
		return r
	}
	v, err := s.ValidateStateMachineDefinition(ValidateStateMachineDefinitionInput{Definition: &def})
	if err != nil {
		r.Err = err
		return r
	}
	if v.Result != "OK" {
		r.Diagnostics = v.Diagnostics
		_, perr := s.parse([]byte(def))
		r.Err = invalidDefinition(perr)
		return r
	}
	s.mu.Lock()
	_, exists := s.machines[arn]
	s.mu.Unlock()
	desc := "edited " + filepath.Base(path)
	if !exists {
		out, err := s.CreateStateMachine(CreateStateMachineInput{Name: name, Definition: def, RoleARN: roleARN, Publish: true, VersionDescription: desc})
		r.VersionARN, r.Err = out.StateMachineVersionARN, err
		return r
	}
	out, err := s.UpdateStateMachine(UpdateStateMachineInput{StateMachineARN: arn, Definition: &def, Publish: true, VersionDescription: desc})
	r.VersionARN, r.Err = out.StateMachineVersionARN, err
	return r
}

// diagnosticsText renders diagnostics for a terminal, one per line.
func diagnosticsText(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s %s: %s", d.Severity, d.Code, d.Message)
		if d.Location != "" {
			fmt.Fprintf(&b, " at %s", d.Location)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// String is the reload as the terminal shows it.
func (r Reload) String() string {
	switch {
	case r.Err == nil:
		return fmt.Sprintf("%s: published %s; new executions use it, running ones keep their version\n", r.File, r.VersionARN)
	case len(r.Diagnostics) > 0:
		return fmt.Sprintf("%s: edit refused, the previous version stays in service:\n%s", r.File, diagnosticsText(r.Diagnostics))
	}
	return fmt.Sprintf("%s: edit refused, the previous version stays in service: %v\n", r.File, r.Err)
}
